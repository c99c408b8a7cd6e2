//! Import CSV's parsing: the upload's chunks read as one stream by the `csv` crate on a
//! blocking thread, handed on as the header and then batches of a thousand rows or a
//! megabyte, until the end, a refusal of the whole file (its encoding, binary data, a line
//! too long, too many rows), or nobody listens.

use std::io::Read;

use axum::body::Bytes;
use tokio::sync::mpsc;

/// Rows handed on at a time, and the most bytes of rows handed on at once.
const ROWS_AT_ONCE: usize = 1_000;
const BYTES_AT_ONCE: usize = 1 << 20;
/// The longest line read: a member's row is a few hundred bytes.
const MAX_ROW_BYTES: usize = 64 * 1024;
/// The most data rows a file may hold.
pub const MAX_ROWS: u64 = 200_000;

const BINARY: &str = "This is not a CSV file: it holds binary data. Save your spreadsheet as “CSV UTF-8” and choose that file.";
pub const EMPTY: &str =
    "The file is empty. Its first line must name the columns, as Export CSV writes them.";

fn not_utf8(line: u64) -> String {
    format!("Line {line} is not UTF-8 text. Save the file as “CSV UTF-8” and choose it again.")
}

/// What the parser hands on.
pub enum Parsed {
    Header(Vec<String>),
    Rows(Vec<(u64, Vec<String>)>),
    /// The file refused whole; empty when its upload was cut (the reader says why).
    Refused(String),
}

/// The upload's chunks as a reader for the CSV parser, on a blocking thread.
pub struct Chunks {
    pub rx: mpsc::Receiver<Result<Bytes, ()>>,
    pub current: Bytes,
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(bytes)) => self.current = bytes,
                Some(Err(())) => return Err(std::io::Error::other("upload cut")),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// Parses the file, handing on its header and its rows a thousand at a time, until the
/// end, a refusal, or nobody listens.
pub fn parse(reader: impl Read, tx: &mpsc::Sender<Parsed>) {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let mut header_seen = false;
    let mut rows = 0_u64;
    let mut batch = Vec::with_capacity(ROWS_AT_ONCE);
    let mut batch_bytes = 0_usize;
    let refuse = |message: String| {
        let _ = tx.blocking_send(Parsed::Refused(message));
    };
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                return refuse(match err.kind() {
                    csv::ErrorKind::Io(_) => String::new(),
                    _ => BINARY.to_owned(),
                });
            }
        }
        let line = record.position().map_or(0, csv::Position::line);
        let bytes = record.as_slice();
        if bytes.len() > MAX_ROW_BYTES {
            return refuse(format!(
                "Line {line} is longer than 64 KB: a member's row holds far less. Check that the file is a CSV file of members."
            ));
        }
        if !header_seen && (bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])) {
            return refuse(not_utf8(line));
        }
        if bytes.contains(&0) {
            return refuse(BINARY.to_owned());
        }
        let mut cells = Vec::with_capacity(record.len());
        for cell in &record {
            match std::str::from_utf8(cell) {
                Ok(text) => cells.push(text.to_owned()),
                Err(_) => return refuse(not_utf8(line)),
            }
        }
        if !header_seen {
            if let Some(first) = cells.first_mut()
                && let Some(rest) = first.strip_prefix('\u{feff}')
            {
                *first = rest.to_owned();
            }
            header_seen = true;
            if tx.blocking_send(Parsed::Header(cells)).is_err() {
                return;
            }
            continue;
        }
        rows += 1;
        if rows > MAX_ROWS {
            return refuse(format!(
                "This file has more than {} rows. Split it into smaller files and import each.",
                crate::text::thousands(MAX_ROWS)
            ));
        }
        batch_bytes += bytes.len();
        batch.push((line, cells));
        if (batch.len() == ROWS_AT_ONCE || batch_bytes >= BYTES_AT_ONCE)
            && tx
                .blocking_send(Parsed::Rows(std::mem::take(&mut batch)))
                .is_err()
        {
            return;
        }
        if batch.is_empty() {
            batch_bytes = 0;
        }
    }
    if !header_seen {
        return refuse(EMPTY.to_owned());
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(Parsed::Rows(batch));
    }
}
