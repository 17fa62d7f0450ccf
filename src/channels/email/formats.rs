//! How a notification email writes instants, dates and sizes, per locale. The words
//! around them are in the Fluent files.

use crate::config::Locale;

pub(super) struct Formats {
    /// Instants are shown in this offset; `email-time` names it.
    pub utc_offset_hours: i32,
    /// `chrono` format of dates, also used inside `email-time`.
    pub date_format: &'static str,
    pub decimal_separator: char,
}

impl Formats {
    pub fn of(locale: Locale) -> &'static Formats {
        match locale {
            Locale::Vi => &VI,
            Locale::En => &EN,
        }
    }
}

static VI: Formats = Formats {
    utc_offset_hours: 7,
    date_format: "%d/%m/%Y",
    decimal_separator: ',',
};

static EN: Formats = Formats {
    utc_offset_hours: 0,
    date_format: "%Y-%m-%d",
    decimal_separator: '.',
};
