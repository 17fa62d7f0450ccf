use clap::Parser;

fn main() -> anyhow::Result<()> {
    one_malloc_arena_per_core();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(incident_desk::app::cli::run(
            incident_desk::app::cli::Cli::parse(),
        ))
}

/// glibc's allocator gives threads up to eight arenas per core, and each arena keeps the
/// memory freed in it. With a thread for each SQLite connection beside the runtime's, that
/// raised the server's peak RSS by several MiB while a backlog drains and under an overload,
/// for no speed (`delivery-bench`, README). One arena per core, set before any thread
/// starts; an operator's own `MALLOC_ARENA_MAX` (or `glibc.malloc.arena_max` in
/// `GLIBC_TUNABLES`) is left to rule.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn one_malloc_arena_per_core() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some()
        || std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.malloc.arena_max"))
    {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt takes two integers and only sets a limit of the allocator; it is called
    // before this process starts any other thread.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_malloc_arena_per_core() {}
