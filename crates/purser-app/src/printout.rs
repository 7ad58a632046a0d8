//! Printing a receipt or report: the text from `receipt.rs` as a PDF document, as ESC/POS
//! bytes for a network receipt printer, and sending those bytes to the printer.
//!
//! * `to_pdf` writes a small PDF 1.4 by hand: pages 80 mm wide, Courier (one of the
//!   standard fonts every reader has) in `WinAnsiEncoding`, the first line in bold. A long
//!   text is split over pages of `PDF_LINES_PER_PAGE` lines.
//! * `to_escpos` selects code page PC858 (Latin-1 letters and €), prints the first line
//!   centred in bold, the rest as it is, the receipt number as a Code128 barcode, kicks the
//!   drawer if asked, and cuts.
//! * `send_to_printer` writes the bytes to the printer's raw TCP port (9100 unless told).
//!
//! Characters the target cannot show are printed as `?`; control characters never reach
//! the printer (a product name cannot smuggle in a command).

use std::fmt::Write as _;
use std::io::{ErrorKind, Write as _};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::error::{AppError, ErrorCode};

/// A receipt or report ready to print.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Printout {
    /// The document title (PDF `/Title`), e.g. "Receipt 0001-000042".
    pub title: String,
    /// Monospaced lines joined by '\n', as `receipt::sale_text` and friends return them.
    pub text: String,
    /// The receipt number, printed as a Code128 barcode on a receipt printer.
    pub barcode: Option<String>,
}

/// The raw-printing port receipt printers listen on ("JetDirect").
pub const DEFAULT_PRINTER_PORT: u16 = 9100;

/// How long `send_to_printer` waits when given a zero timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    /// The configured address is not `host` or `host:port`.
    #[error(
        "the receipt printer address '{0}' is not valid: write it as host:port, \
         for example 10.0.0.5:9100, in the till settings"
    )]
    BadAddress(String),
    /// No connection could be made (off, unplugged, wrong address, name not found).
    #[error("the receipt printer at {addr} {reason}")]
    Unreachable { addr: String, reason: String },
    /// Connected, but the bytes could not all be sent.
    #[error("the receipt printer at {addr} {reason}")]
    Io { addr: String, reason: String },
}

impl From<PrintError> for AppError {
    fn from(e: PrintError) -> AppError {
        let code = match e {
            PrintError::BadAddress(_) => ErrorCode::InvalidConfig,
            PrintError::Unreachable { .. } | PrintError::Io { .. } => ErrorCode::PrinterUnavailable,
        };
        AppError::new(code, e.to_string())
    }
}

/// The text's lines, without the final newline's empty line and without '\r'.
fn lines_of(text: &str) -> Vec<&str> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() {
        return Vec::new();
    }
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

/// The barcode line, if there is a non-blank barcode.
fn barcode_of(p: &Printout) -> Option<&str> {
    p.barcode
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
}

// ---------------------------------------------------------------------------------------
// PDF
// ---------------------------------------------------------------------------------------

/// Font size in points; Courier is 600/1000 em wide, so one column is 4.8 pt.
const PDF_FONT_SIZE: u32 = 8;
/// Distance between baselines, in points.
const PDF_LEADING: u32 = 10;
/// Margin on every side, in points.
const PDF_MARGIN: u32 = 12;
/// Receipt width in columns; 42 columns of 4.8 pt plus margins is 226 pt, i.e. 80 mm.
const PDF_MIN_COLUMNS: usize = 42;
/// Longer lines widen the page up to this many columns and are wrapped beyond it.
const PDF_MAX_COLUMNS: usize = 96;
/// Lines on a full page: 80 lines make a page 824 pt (291 mm) high.
pub const PDF_LINES_PER_PAGE: usize = 80;

/// Encodes one character in `WinAnsiEncoding` (Windows-1252): ASCII and Latin-1 as
/// themselves, € and the other 0x80–0x9F characters in their slots, tab as a space,
/// anything else (control characters included) as `?`.
pub fn win_ansi(c: char) -> u8 {
    let code = u32::from(c);
    match code {
        0x20..=0x7E | 0xA0..=0xFF => u8::try_from(code).unwrap_or(b'?'),
        0x09 => b' ',
        _ => match c {
            '\u{20AC}' => 0x80,
            '\u{201A}' => 0x82,
            '\u{0192}' => 0x83,
            '\u{201E}' => 0x84,
            '\u{2026}' => 0x85,
            '\u{2020}' => 0x86,
            '\u{2021}' => 0x87,
            '\u{02C6}' => 0x88,
            '\u{2030}' => 0x89,
            '\u{0160}' => 0x8A,
            '\u{2039}' => 0x8B,
            '\u{0152}' => 0x8C,
            '\u{017D}' => 0x8E,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201C}' => 0x93,
            '\u{201D}' => 0x94,
            '\u{2022}' => 0x95,
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            '\u{02DC}' => 0x98,
            '\u{2122}' => 0x99,
            '\u{0161}' => 0x9A,
            '\u{203A}' => 0x9B,
            '\u{0153}' => 0x9C,
            '\u{017E}' => 0x9E,
            '\u{0178}' => 0x9F,
            _ => b'?',
        },
    }
}

/// A PDF literal string `( … )` of `line` in WinAnsiEncoding: `\`, `(` and `)` escaped,
/// bytes outside printable ASCII written as octal escapes so the file stays 7-bit.
fn pdf_string(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 2);
    out.push('(');
    for c in line.chars() {
        match win_ansi(c) {
            b @ (b'\\' | b'(' | b')') => {
                out.push('\\');
                out.push(char::from(b));
            }
            b @ 0x20..=0x7E => out.push(char::from(b)),
            b => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push(')');
    out
}

/// A PDF text string for the document information: UTF-16BE with a byte-order mark, in hex.
fn pdf_text_string(s: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in s.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
    out
}

/// Splits lines longer than `width` characters.
fn wrap(lines: &[String], width: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let chars: Vec<char> = line.chars().collect();
        if chars.is_empty() {
            out.push(String::new());
        }
        for chunk in chars.chunks(width.max(1)) {
            out.push(chunk.iter().collect());
        }
    }
    out
}

/// The page height in points for `n` lines.
fn pdf_page_height(n: usize) -> u32 {
    let n = u32::try_from(n.max(1)).unwrap_or(u32::MAX / PDF_LEADING);
    2 * PDF_MARGIN + n.saturating_mul(PDF_LEADING)
}

/// A PDF being written: the bytes so far and where each object starts.
struct PdfWriter {
    buf: Vec<u8>,
    /// Byte offset of object `i + 1`.
    offsets: Vec<usize>,
}

impl PdfWriter {
    fn object(&mut self, id: usize, body: &str) {
        self.begin(id);
        self.buf.extend_from_slice(body.as_bytes());
        self.buf.extend_from_slice(b"\nendobj\n");
    }

    fn stream(&mut self, id: usize, content: &[u8]) {
        self.begin(id);
        let _ = write!(self.buf, "<< /Length {} >>\nstream\n", content.len());
        self.buf.extend_from_slice(content);
        self.buf.extend_from_slice(b"\nendstream\nendobj\n");
    }

    fn begin(&mut self, id: usize) {
        debug_assert_eq!(id, self.offsets.len() + 1, "objects are written in order");
        self.offsets.push(self.buf.len());
        let _ = writeln!(self.buf, "{id} 0 obj");
    }
}

/// The printout as a PDF 1.4 document: receipt-width pages (80 mm), Courier 8 pt, the
/// first line in bold, the barcode (receipt number) as a centred `*NUMBER*` line.
pub fn to_pdf(p: &Printout) -> Vec<u8> {
    let mut lines: Vec<String> = lines_of(&p.text).into_iter().map(String::from).collect();
    let barcode_line = barcode_of(p).map(|b| format!("*{b}*"));
    let longest = lines
        .iter()
        .chain(&barcode_line)
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    let columns = longest.clamp(PDF_MIN_COLUMNS, PDF_MAX_COLUMNS);
    if let Some(b) = &barcode_line {
        lines.push(String::new());
        lines.push(format!("{b:^columns$}").trim_end().to_string());
    }
    let lines = wrap(&lines, columns);

    let pages: Vec<&[String]> = if lines.is_empty() {
        vec![&[]]
    } else {
        lines.chunks(PDF_LINES_PER_PAGE).collect()
    };
    let height = pdf_page_height(if pages.len() > 1 {
        PDF_LINES_PER_PAGE
    } else {
        lines.len()
    });
    // 4.8 pt per column, rounded up.
    let cols = u32::try_from(columns).unwrap_or(u32::MAX);
    let width = 2 * PDF_MARGIN + (cols * PDF_FONT_SIZE * 6).div_ceil(10);
    let first_baseline = height - PDF_MARGIN - PDF_FONT_SIZE;

    // Objects: 1 catalog, 2 page tree, 3 Courier, 4 Courier-Bold, 5 info, then a page and
    // its content stream for each page.
    const FIRST_PAGE_ID: usize = 6;
    let page_ids: Vec<usize> = (0..pages.len()).map(|i| FIRST_PAGE_ID + 2 * i).collect();

    let mut w = PdfWriter {
        buf: Vec::new(),
        offsets: Vec::new(),
    };
    // The binary comment tells transfer programs the file is not plain text.
    w.buf.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    w.object(1, "<< /Type /Catalog /Pages 2 0 R >>");
    let kids: Vec<String> = page_ids.iter().map(|id| format!("{id} 0 R")).collect();
    w.object(
        2,
        &format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        ),
    );
    w.object(
        3,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
    );
    w.object(
        4,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Courier-Bold /Encoding /WinAnsiEncoding >>",
    );
    w.object(
        5,
        &format!(
            "<< /Title {} /Producer (Purser) /Creator (Purser) >>",
            pdf_text_string(&p.title)
        ),
    );
    for (i, (page, id)) in pages.iter().zip(&page_ids).enumerate() {
        let content_id = id + 1;
        w.object(
            *id,
            &format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] \
                 /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {content_id} 0 R >>"
            ),
        );
        let mut content = format!(
            "BT\n/F1 {PDF_FONT_SIZE} Tf\n{PDF_LEADING} TL\n{PDF_MARGIN} {first_baseline} Td\n"
        );
        for (n, line) in page.iter().enumerate() {
            let bold = i == 0 && n == 0;
            if bold {
                let _ = writeln!(content, "/F2 {PDF_FONT_SIZE} Tf");
            }
            let _ = writeln!(content, "{} Tj T*", pdf_string(line));
            if bold {
                let _ = writeln!(content, "/F1 {PDF_FONT_SIZE} Tf");
            }
        }
        content.push_str("ET");
        w.stream(content_id, content.as_bytes());
    }

    let xref_at = w.buf.len();
    let size = w.offsets.len() + 1;
    let _ = writeln!(w.buf, "xref\n0 {size}\n0000000000 65535 f ");
    for off in &w.offsets {
        let _ = writeln!(w.buf, "{off:010} 00000 n ");
    }
    let _ = writeln!(
        w.buf,
        "trailer\n<< /Size {size} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref_at}\n%%EOF"
    );
    w.buf
}

// ---------------------------------------------------------------------------------------
// ESC/POS
// ---------------------------------------------------------------------------------------

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const LF: u8 = 0x0A;

/// `ESC t 19`: code page PC858 (PC850 with € at 0xD5).
pub const ESCPOS_CODE_PAGE_PC858: [u8; 3] = [ESC, b't', 19];
/// `GS V 66 0`: feed to the cutter and cut partially.
pub const ESCPOS_PARTIAL_CUT: [u8; 4] = [GS, b'V', 66, 0];
/// `ESC p 0 25 250`: a pulse on drawer pin 2, 50 ms on, 500 ms off.
pub const ESCPOS_DRAWER_KICK: [u8; 5] = [ESC, b'p', 0, 25, 250];

/// Code page 858, bytes 0x80–0xFF.
const PC858_HIGH: [char; 128] = [
    '\u{00c7}', '\u{00fc}', '\u{00e9}', '\u{00e2}', '\u{00e4}', '\u{00e0}', '\u{00e5}',
    '\u{00e7}', // 0x80
    '\u{00ea}', '\u{00eb}', '\u{00e8}', '\u{00ef}', '\u{00ee}', '\u{00ec}', '\u{00c4}',
    '\u{00c5}', // 0x88
    '\u{00c9}', '\u{00e6}', '\u{00c6}', '\u{00f4}', '\u{00f6}', '\u{00f2}', '\u{00fb}',
    '\u{00f9}', // 0x90
    '\u{00ff}', '\u{00d6}', '\u{00dc}', '\u{00f8}', '\u{00a3}', '\u{00d8}', '\u{00d7}',
    '\u{0192}', // 0x98
    '\u{00e1}', '\u{00ed}', '\u{00f3}', '\u{00fa}', '\u{00f1}', '\u{00d1}', '\u{00aa}',
    '\u{00ba}', // 0xA0
    '\u{00bf}', '\u{00ae}', '\u{00ac}', '\u{00bd}', '\u{00bc}', '\u{00a1}', '\u{00ab}',
    '\u{00bb}', // 0xA8
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{00c1}', '\u{00c2}',
    '\u{00c0}', // 0xB0
    '\u{00a9}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255d}', '\u{00a2}', '\u{00a5}',
    '\u{2510}', // 0xB8
    '\u{2514}', '\u{2534}', '\u{252c}', '\u{251c}', '\u{2500}', '\u{253c}', '\u{00e3}',
    '\u{00c3}', // 0xC0
    '\u{255a}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256c}',
    '\u{00a4}', // 0xC8
    '\u{00f0}', '\u{00d0}', '\u{00ca}', '\u{00cb}', '\u{00c8}', '\u{20ac}', '\u{00cd}',
    '\u{00ce}', // 0xD0
    '\u{00cf}', '\u{2518}', '\u{250c}', '\u{2588}', '\u{2584}', '\u{00a6}', '\u{00cc}',
    '\u{2580}', // 0xD8
    '\u{00d3}', '\u{00df}', '\u{00d4}', '\u{00d2}', '\u{00f5}', '\u{00d5}', '\u{00b5}',
    '\u{00fe}', // 0xE0
    '\u{00de}', '\u{00da}', '\u{00db}', '\u{00d9}', '\u{00fd}', '\u{00dd}', '\u{00af}',
    '\u{00b4}', // 0xE8
    '\u{00ad}', '\u{00b1}', '\u{2017}', '\u{00be}', '\u{00b6}', '\u{00a7}', '\u{00f7}',
    '\u{00b8}', // 0xF0
    '\u{00b0}', '\u{00a8}', '\u{00b7}', '\u{00b9}', '\u{00b3}', '\u{00b2}', '\u{25a0}',
    '\u{00a0}', // 0xF8
];

/// Encodes one character in code page PC858: printable ASCII as itself, the characters of
/// the code page's upper half in their slots (€ 0xD5, £ 0x9C, é 0x82, …), tab as a space,
/// anything else (control characters included) as `?`.
pub fn pc858(c: char) -> u8 {
    let code = u32::from(c);
    if (0x20..=0x7E).contains(&code) {
        return u8::try_from(code).unwrap_or(b'?');
    }
    if c == '\t' {
        return b' ';
    }
    PC858_HIGH
        .iter()
        .position(|&h| h == c)
        .and_then(|i| u8::try_from(0x80 + i).ok())
        .unwrap_or(b'?')
}

fn push_pc858(out: &mut Vec<u8>, line: &str) {
    out.extend(line.chars().map(pc858));
}

/// `GS k 73 n {B data`: the barcode in Code128 code set B, or `None` if it has characters
/// code set B lacks or is too long for the one-byte length.
fn code128_command(barcode: &str) -> Option<Vec<u8>> {
    let mut data = vec![b'{', b'B'];
    for c in barcode.chars() {
        let b = u8::try_from(u32::from(c))
            .ok()
            .filter(|b| (0x20..=0x7E).contains(b))?;
        data.push(b);
        if b == b'{' {
            // A literal '{' is written twice; a single one starts a code-set switch.
            data.push(b'{');
        }
    }
    let n = u8::try_from(data.len()).ok()?;
    let mut cmd = vec![GS, b'k', 73, n];
    cmd.extend_from_slice(&data);
    Some(cmd)
}

/// The printout as ESC/POS bytes for an 80 mm receipt printer: reset, code page PC858,
/// the first line centred in bold (double size when it fits), the other lines as they are,
/// the barcode as Code128 with its number printed below, the drawer kick if
/// `open_drawer`, and a partial cut.
pub fn to_escpos(p: &Printout, open_drawer: bool) -> Vec<u8> {
    let lines = lines_of(&p.text);
    let mut out = Vec::with_capacity(p.text.len() + 64);
    out.extend_from_slice(&[ESC, b'@']);
    out.extend_from_slice(&ESCPOS_CODE_PAGE_PC858);

    let mut rest = lines.as_slice();
    if let Some((first, others)) = lines.split_first() {
        rest = others;
        let heading = first.trim();
        // ESC ! n: 0x08 emphasised, 0x10 double height, 0x20 double width.
        let double_width = heading.chars().count() <= PDF_MIN_COLUMNS / 2;
        let mode = if double_width { 0x38 } else { 0x18 };
        out.extend_from_slice(&[ESC, b'a', 1, ESC, b'!', mode]);
        push_pc858(&mut out, heading);
        out.extend_from_slice(&[LF, ESC, b'!', 0, ESC, b'a', 0]);
    }
    for line in rest {
        push_pc858(&mut out, line);
        out.push(LF);
    }

    if let Some(b) = barcode_of(p) {
        out.extend_from_slice(&[LF, ESC, b'a', 1]);
        match code128_command(b) {
            Some(cmd) => {
                // HRI below, font A, 80 dots (10 mm) high, modules 2 dots wide.
                out.extend_from_slice(&[GS, b'H', 2, GS, b'f', 0, GS, b'h', 80, GS, b'w', 2]);
                out.extend_from_slice(&cmd);
            }
            None => push_pc858(&mut out, b),
        }
        out.extend_from_slice(&[LF, ESC, b'a', 0]);
    }

    if open_drawer {
        out.extend_from_slice(&ESCPOS_DRAWER_KICK);
    }
    out.extend_from_slice(&ESCPOS_PARTIAL_CUT);
    out
}

// ---------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------

fn valid_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Splits `host`, `host:port`, `[v6]:port`, a bare IPv6 address or `ip:port` into the host
/// and the port (9100 when none is given).
/// Whether `addr` is a printer address the till can use (nothing is contacted).
pub fn check_printer_address(addr: &str) -> Result<(), PrintError> {
    parse_printer_address(addr).map(|_| ())
}

fn parse_printer_address(addr: &str) -> Result<(String, u16), PrintError> {
    let bad = || PrintError::BadAddress(addr.to_string());
    let a = addr.trim();
    if a.is_empty() {
        return Err(bad());
    }
    if let Ok(sa) = a.parse::<SocketAddr>() {
        return match sa.port() {
            0 => Err(bad()),
            port => Ok((sa.ip().to_string(), port)),
        };
    }
    if let Ok(ip) = a.parse::<IpAddr>() {
        return Ok((ip.to_string(), DEFAULT_PRINTER_PORT));
    }
    if let Some(v6) = a.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return match v6.parse::<IpAddr>() {
            Ok(ip) => Ok((ip.to_string(), DEFAULT_PRINTER_PORT)),
            Err(_) => Err(bad()),
        };
    }
    let (host, port) = match a.split_once(':') {
        Some((host, port)) => {
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0 && port.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(bad)?;
            (host, port)
        }
        None => (a, DEFAULT_PRINTER_PORT),
    };
    if !valid_host_name(host) {
        return Err(bad());
    }
    Ok((host.to_string(), port))
}

fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

fn connect_reason(e: &std::io::Error, timeout: Duration) -> String {
    match e.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => format!(
            "did not answer within {}: check it is switched on and on the network",
            seconds(timeout)
        ),
        ErrorKind::ConnectionRefused => format!(
            "refused the connection ({e}): check the port in the till settings (usually {}) \
             and that the printer has finished starting up; if another till is printing to \
             it, try again",
            DEFAULT_PRINTER_PORT
        ),
        _ => format!(
            "could not be reached ({e}): check it is switched on, its network cable is \
             plugged in, and the address in the till settings is right"
        ),
    }
}

fn write_reason(e: &std::io::Error, timeout: Duration) -> String {
    match e.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => format!(
            "did not take the receipt within {}: check it has paper, its cover is closed \
             and no error light is on, then print again",
            seconds(timeout)
        ),
        _ => format!(
            "stopped taking the receipt ({e}): check it has paper, its cover is closed and \
             no error light is on, then print again"
        ),
    }
}

/// Sends `bytes` to the printer at `addr` (`host:port`; a bare host means port 9100):
/// connects within `timeout` (3 s when zero), writes everything with `timeout` per write,
/// and closes the connection.
pub fn send_to_printer(addr: &str, bytes: &[u8], timeout: Duration) -> Result<(), PrintError> {
    let timeout = if timeout.is_zero() {
        DEFAULT_TIMEOUT
    } else {
        timeout
    };
    let (host, port) = parse_printer_address(addr)?;
    let shown = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let resolved: Vec<SocketAddr> = match (host.as_str(), port).to_socket_addrs() {
        Ok(it) => it.collect(),
        Err(e) => {
            return Err(PrintError::Unreachable {
                addr: shown,
                reason: format!(
                    "could not be found: the name '{host}' could not be looked up ({e}); \
                     check the address in the till settings, or use the printer's IP address"
                ),
            })
        }
    };
    let mut last: Option<std::io::Error> = None;
    let mut stream = None;
    for sa in &resolved {
        match TcpStream::connect_timeout(sa, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let Some(mut stream) = stream else {
        let reason = match last {
            Some(e) => connect_reason(&e, timeout),
            None => format!(
                "could not be found: the name '{host}' has no address; check the address \
                 in the till settings"
            ),
        };
        return Err(PrintError::Unreachable {
            addr: shown,
            reason,
        });
    };
    let io = |e: std::io::Error| PrintError::Io {
        addr: shown.clone(),
        reason: write_reason(&e, timeout),
    };
    stream.set_write_timeout(Some(timeout)).map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    stream.write_all(bytes).map_err(io)?;
    stream.flush().map_err(io)?;
    match stream.shutdown(Shutdown::Write) {
        Ok(()) => Ok(()),
        // The printer may close first once it has everything.
        Err(e) if e.kind() == ErrorKind::NotConnected => Ok(()),
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    fn count(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len()).filter(|w| *w == needle).count()
    }

    fn ascii_number(bytes: &[u8]) -> usize {
        std::str::from_utf8(bytes).unwrap().trim().parse().unwrap()
    }

    /// Parses the xref table from `startxref` and checks every in-use entry points at
    /// "N 0 obj"; returns the trailer's /Size.
    fn check_xref(pdf: &[u8]) -> usize {
        let sx = pdf
            .windows(9)
            .rposition(|w| w == b"startxref")
            .expect("startxref");
        let tail = std::str::from_utf8(&pdf[sx..]).unwrap();
        let mut it = tail.lines();
        assert_eq!(it.next(), Some("startxref"));
        let xref_at: usize = it.next().unwrap().parse().unwrap();
        assert_eq!(it.next(), Some("%%EOF"));
        assert!(pdf[xref_at..].starts_with(b"xref\n0 "));
        let header_end = xref_at + find(&pdf[xref_at + 5..], b"\n").unwrap() + 5;
        let n = ascii_number(&pdf[xref_at + 7..header_end]);
        let entries = &pdf[header_end + 1..];
        assert_eq!(&entries[..20], b"0000000000 65535 f \n");
        for i in 1..n {
            let e = &entries[20 * i..20 * i + 20];
            assert_eq!(&e[10..], b" 00000 n \n", "entry {i}");
            let off = ascii_number(&e[..10]);
            let want = format!("{i} 0 obj\n");
            assert!(
                pdf[off..].starts_with(want.as_bytes()),
                "xref entry {i} points at {:?}",
                String::from_utf8_lossy(&pdf[off..off + 12])
            );
            // The object ends before the next one starts.
            assert!(find(&pdf[off..], b"endobj").is_some());
        }
        let trailer = &entries[20 * n..];
        assert!(trailer.starts_with(b"trailer\n<< /Size "));
        let size = ascii_number(&trailer[17..17 + find(&trailer[17..], b" ").unwrap()]);
        assert_eq!(size, n);
        assert!(find(trailer, b"/Root 1 0 R").is_some());
        // Every object 1..n is present exactly once.
        for i in 1..n {
            assert_eq!(
                count(pdf, format!("\n{i} 0 obj\n").as_bytes()),
                1,
                "object {i}"
            );
        }
        // Stream lengths are exact.
        let mut from = 0;
        while let Some(s) = find(&pdf[from..], b"<< /Length ") {
            let at = from + s + 11;
            let len_end = at + find(&pdf[at..], b" ").unwrap();
            let len = ascii_number(&pdf[at..len_end]);
            let data = len_end + b" >>\nstream\n".len();
            assert!(pdf[data + len..].starts_with(b"\nendstream\n"));
            from = data + len;
        }
        n
    }

    fn receipt() -> Printout {
        Printout {
            title: "Receipt 0001-000042 – Café".into(),
            text: concat!(
                "           Store S1 - Till T1             \n",
                "Receipt 0001-000042       2025-01-02 10:00\n",
                "Crème brûlée (x2) \\ half            €9.50\n",
                "Fish & chips                       £12.00\n",
            )
            .into(),
            barcode: Some("0001-000042".into()),
        }
    }

    #[test]
    fn printout_pdf_is_well_formed() {
        let pdf = to_pdf(&receipt());
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let size = check_xref(&pdf);
        assert_eq!(size, 8, "5 shared objects, one page and its content");
        assert_eq!(count(&pdf, b"/Type /Page "), 1);
        assert!(find(&pdf, b"/Count 1 ").is_some());
        assert!(find(&pdf, b"/BaseFont /Courier /Encoding /WinAnsiEncoding").is_some());
        // 80 mm wide, fitted to 6 lines (4 of text, a blank, the barcode).
        assert!(find(&pdf, b"/MediaBox [0 0 226 84]").is_some());
        // The title, in UTF-16BE: "R" … "–" (U+2013) … "é".
        assert!(find(&pdf, b"/Title <FEFF0052").is_some());
        assert!(find(&pdf, b"2013").is_some());
        assert!(find(&pdf, b"(*0001-000042*) Tj").is_none(), "centred");
        assert!(find(&pdf, b"*0001-000042*) Tj").is_some());
        // Only 7-bit bytes after the binary comment.
        let body = &pdf[15..];
        assert!(body.iter().all(u8::is_ascii));
    }

    #[test]
    fn printout_pdf_encodes_and_escapes_text() {
        assert_eq!(win_ansi('€'), 0x80);
        assert_eq!(win_ansi('£'), 0xA3);
        assert_eq!(win_ansi('é'), 0xE9);
        assert_eq!(win_ansi('ü'), 0xFC);
        assert_eq!(win_ansi('–'), 0x96);
        assert_eq!(win_ansi('A'), b'A');
        assert_eq!(win_ansi('ő'), b'?');
        assert_eq!(win_ansi('日'), b'?');
        assert_eq!(win_ansi('\u{1b}'), b'?');
        assert_eq!(pdf_string("€5 £3"), "(\\2005 \\2433)");
        assert_eq!(pdf_string("a (b) \\ c"), "(a \\(b\\) \\\\ c)");
        assert_eq!(pdf_string("Crème"), "(Cr\\350me)");

        let pdf = to_pdf(&receipt());
        assert!(find(&pdf, b"(Cr\\350me br\\373l\\351e \\(x2\\) \\\\ half").is_some());
        assert!(find(&pdf, b"\\2009.50) Tj").is_some());
        assert!(find(&pdf, b"\\24312.00) Tj").is_some());
        // The first line is bold, the rest regular.
        let bold = find(&pdf, b"/F2 8 Tf\n(           Store S1 - Till T1").unwrap();
        assert!(find(&pdf[bold..], b"/F1 8 Tf\n(Receipt").is_some());
    }

    #[test]
    fn printout_pdf_long_receipt_spans_pages() {
        let text: String = (1..=400).map(|i| format!("Line {i:>4}\n")).collect();
        let p = Printout {
            title: "Z report".into(),
            text,
            barcode: None,
        };
        let pdf = to_pdf(&p);
        let size = check_xref(&pdf);
        assert_eq!(count(&pdf, b"/Type /Page "), 5);
        assert_eq!(size, 5 + 2 * 5 + 1);
        assert!(find(&pdf, b"/Count 5 ").is_some());
        assert_eq!(count(&pdf, b"/MediaBox [0 0 226 824]"), 5);
        assert_eq!(count(&pdf, b") Tj T*"), 400);
        assert!(find(&pdf, b"(Line    1)").is_some());
        assert!(find(&pdf, b"(Line  400)").is_some());
        assert!(pdf.ends_with(b"%%EOF\n"));
    }

    #[test]
    fn printout_pdf_edge_cases() {
        // Empty text: one small page.
        let pdf = to_pdf(&Printout::default());
        check_xref(&pdf);
        assert_eq!(count(&pdf, b"/Type /Page "), 1);
        // Exactly one full page.
        let text: String = "x\n".repeat(PDF_LINES_PER_PAGE);
        let pdf = to_pdf(&Printout {
            text,
            ..Printout::default()
        });
        check_xref(&pdf);
        assert_eq!(count(&pdf, b"/Type /Page "), 1);
        // A very long line widens the page, then wraps.
        let long = "y".repeat(200);
        let pdf = to_pdf(&Printout {
            text: long,
            ..Printout::default()
        });
        check_xref(&pdf);
        assert_eq!(count(&pdf, b") Tj T*"), 3);
        assert!(find(&pdf, b"/MediaBox [0 0 485 54]").is_some());
    }

    #[test]
    fn printout_escpos_layout() {
        let bytes = to_escpos(&receipt(), false);
        assert!(bytes.starts_with(&[0x1B, b'@']));
        assert_eq!(&bytes[2..5], &ESCPOS_CODE_PAGE_PC858);
        assert_eq!(&bytes[2..5], &[0x1B, 0x74, 19]);
        // Heading centred, bold, double size, then reset.
        assert!(find(
            &bytes,
            b"\x1Ba\x01\x1B!\x38Store S1 - Till T1\n\x1B!\x00\x1Ba\x00"
        )
        .is_some());
        // € is 0xD5 and £ 0x9C in PC858; è 0x8A, û 0x96, é 0x82.
        assert!(find(&bytes, b"Cr\x8Ame br\x96l\x82e (x2) \\ half").is_some());
        assert!(find(&bytes, b"\xD59.50\n").is_some());
        assert!(find(&bytes, b"\x9C12.00\n").is_some());
        // Code128, code set B, HRI below, with the right length byte.
        assert!(find(&bytes, b"\x1DH\x02").is_some());
        let k = find(&bytes, &[0x1D, b'k', 73]).expect("barcode");
        let n = usize::from(bytes[k + 3]);
        assert_eq!(n, 2 + "0001-000042".len());
        assert_eq!(&bytes[k + 4..k + 4 + n], b"{B0001-000042");
        // No drawer kick; cut last.
        assert!(find(&bytes, &ESCPOS_DRAWER_KICK).is_none());
        assert!(bytes.ends_with(&[0x1D, b'V', 66, 0]));

        let with_drawer = to_escpos(&receipt(), true);
        let kick = find(&with_drawer, &[0x1B, b'p', 0, 25, 250]).expect("drawer kick");
        let cut = find(&with_drawer, &ESCPOS_PARTIAL_CUT).unwrap();
        assert!(kick < cut);
        assert!(with_drawer.ends_with(&ESCPOS_PARTIAL_CUT));
    }

    #[test]
    fn printout_escpos_encoding_and_barcode_edges() {
        assert_eq!(pc858('€'), 0xD5);
        assert_eq!(pc858('£'), 0x9C);
        assert_eq!(pc858('é'), 0x82);
        assert_eq!(pc858('Ñ'), 0xA5);
        assert_eq!(pc858('ß'), 0xE1);
        assert_eq!(pc858('ı'), b'?', "PC858 has € where PC850 has ı");
        assert_eq!(pc858('ő'), b'?');
        assert_eq!(pc858('\u{1B}'), b'?');
        assert_eq!(pc858('\t'), b' ');
        // Every slot round-trips.
        for (i, c) in PC858_HIGH.iter().enumerate() {
            assert_eq!(usize::from(pc858(*c)), 0x80 + i);
        }

        // A control character in a name cannot become a command.
        let p = Printout {
            title: String::new(),
            text: "Head\nEvil\u{1B}p\u{0}\n".into(),
            barcode: None,
        };
        let bytes = to_escpos(&p, false);
        assert!(find(&bytes, b"Evil?p?\n").is_some());
        assert!(find(&bytes, &[0x1D, b'k']).is_none());

        // '{' is doubled and counted.
        assert_eq!(
            code128_command("A{1").unwrap(),
            vec![0x1D, b'k', 73, 6, b'{', b'B', b'A', b'{', b'{', b'1']
        );
        // Not code set B, or too long: printed as text instead.
        assert!(code128_command("Né").is_none());
        assert!(code128_command(&"9".repeat(254)).is_none());
        assert!(code128_command(&"9".repeat(253)).is_some());
        let p = Printout {
            barcode: Some("Né-1".into()),
            ..receipt()
        };
        let bytes = to_escpos(&p, false);
        assert!(find(&bytes, &[0x1D, b'k']).is_none());
        assert!(find(&bytes, b"N\x82-1\n").is_some());

        // A long heading stays single width.
        let p = Printout {
            text: format!("{}\nx\n", "H".repeat(30)),
            ..Printout::default()
        };
        assert!(find(&to_escpos(&p, false), b"\x1B!\x18HHH").is_some());
    }

    #[test]
    fn printout_sends_bytes_to_a_printer() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let reader = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).unwrap();
            got
        });
        let bytes = to_escpos(&receipt(), true);
        send_to_printer(&addr.to_string(), &bytes, Duration::from_secs(3)).unwrap();
        assert_eq!(reader.join().unwrap(), bytes);
    }

    #[test]
    fn printout_closed_port_is_unreachable() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let addr = format!("127.0.0.1:{port}");
        let err = send_to_printer(&addr, b"x", Duration::from_secs(3)).unwrap_err();
        match &err {
            PrintError::Unreachable { addr: a, .. } => assert_eq!(a, &addr),
            other => panic!("expected Unreachable, got {other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("the receipt printer at {addr} ")),
            "{msg}"
        );
        let app: AppError = err.into();
        assert_eq!(app.code, ErrorCode::PrinterUnavailable);
    }

    #[test]
    fn printout_bad_addresses() {
        for bad in [
            "",
            "   ",
            "nonsense:",
            "nonsense:abc",
            "nonsense:99999",
            "nonsense:0",
            "nonsense:+91",
            "10.0.0.5:9100:1",
            "two words:9100",
            "-printer",
            "[::1",
            "[nonsense]",
            "http://10.0.0.5:9100",
        ] {
            let err = send_to_printer(bad, b"x", Duration::from_secs(1)).unwrap_err();
            assert_eq!(err, PrintError::BadAddress(bad.to_string()), "{bad:?}");
            assert!(err.to_string().contains("host:port"));
            let app: AppError = err.into();
            assert_eq!(app.code, ErrorCode::InvalidConfig);
        }
        assert_eq!(
            parse_printer_address("10.0.0.5").unwrap(),
            ("10.0.0.5".to_string(), 9100)
        );
        assert_eq!(
            parse_printer_address(" printer-1.shop.lan:9101 ").unwrap(),
            ("printer-1.shop.lan".to_string(), 9101)
        );
        assert_eq!(
            parse_printer_address("[fe80::1]:9100").unwrap(),
            ("fe80::1".to_string(), 9100)
        );
        assert_eq!(
            parse_printer_address("fe80::1").unwrap(),
            ("fe80::1".to_string(), 9100)
        );
        assert_eq!(seconds(Duration::from_secs(3)), "3 s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1500 ms");
    }

    /// Writes a sample PDF and ESC/POS file for checking by hand
    /// (`PURSER_PRINTOUT_SAMPLES=/tmp cargo test -p purser-app printout`).
    #[test]
    fn printout_write_samples_when_asked() {
        let Some(dir) = std::env::var_os("PURSER_PRINTOUT_SAMPLES") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        std::fs::write(dir.join("printout-receipt.pdf"), to_pdf(&receipt())).unwrap();
        std::fs::write(
            dir.join("printout-receipt.bin"),
            to_escpos(&receipt(), true),
        )
        .unwrap();
        let text: String = (1..=400).map(|i| format!("Line {i:>4} €\n")).collect();
        let long = Printout {
            title: "Long".into(),
            text,
            barcode: Some("R-1".into()),
        };
        std::fs::write(dir.join("printout-long.pdf"), to_pdf(&long)).unwrap();
    }
}
