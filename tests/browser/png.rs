//! A small, valid PNG made in the test, for the evidence a member attaches.

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).expect("a small chunk");
    out.extend_from_slice(&len.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A `size`×`size` RGB image of one colour, its pixels stored uncompressed.
pub fn solid(size: u8, rgb: [u8; 3]) -> Vec<u8> {
    let side = usize::from(size);
    let mut row = vec![0]; // no filter
    row.extend(rgb.repeat(side));
    let pixels = row.repeat(side);
    let len = u16::try_from(pixels.len()).expect("fits one stored deflate block");
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend_from_slice(&len.to_le_bytes());
    zlib.extend_from_slice(&(!len).to_le_bytes());
    zlib.extend_from_slice(&pixels);
    zlib.extend_from_slice(&adler32(&pixels).to_be_bytes());

    let mut header = Vec::new();
    header.extend_from_slice(&u32::from(size).to_be_bytes());
    header.extend_from_slice(&u32::from(size).to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, no interlace

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

#[test]
fn the_image_is_sniffed_as_a_png_and_uses_the_standard_checksum() {
    let png = solid(16, [0xB3, 0x26, 0x1E]);
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    assert_eq!(infer::get(&png).map(|t| t.mime_type()), Some("image/png"));
}
