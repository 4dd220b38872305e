//! `lotledger notices`: one notice file per affected customer and an index
//! file listing who was notified of what, as Markdown, HTML or PDF.
//!
//! A notice is built as a few blocks (headings, paragraphs, tables) and
//! each form renders the same blocks, so the Markdown and HTML say the same
//! thing. Personal fields go through [`output::personal_text`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use lotledger::model::{Date, Reference};
use lotledger::query::{self, Notice, NoticeBatch, NoticeKind, PartyDetails};

use crate::output;
use crate::pdf::{self, Style};
use crate::queries::{not_found, open_query};
use crate::{CliError, Outcome};

/// The file form of the notices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeFormat {
    /// Markdown (`.md`).
    Markdown,
    /// A self-contained HTML page (`.html`).
    Html,
    /// A PDF document (`.pdf`, A4, Courier; see [`crate::pdf`]).
    Pdf,
}

impl NoticeFormat {
    const fn extension(self) -> &'static str {
        match self {
            Self::Markdown => "md",
            Self::Html => "html",
            Self::Pdf => "pdf",
        }
    }
}

/// What to write notices about.
pub enum NoticeSubject {
    /// The customers of an opened recall.
    Recall(String),
    /// Customers holding lots that expire before `today + days`
    /// (already expired ones included).
    Expiring { days: u32, today: Date },
}

/// A piece of a notice.
enum Block {
    Heading(String),
    Para(Vec<String>),
    Table(Vec<&'static str>, Vec<Vec<String>>),
}

/// The file of a notice: its bytes, and the characters the PDF form could
/// not show (0 for the text forms).
fn render(title: &str, blocks: &[Block], format: NoticeFormat) -> (Vec<u8>, usize) {
    if format == NoticeFormat::Pdf {
        let w = crate::pdf::document(title, &pdf_lines(title, blocks));
        return (w.bytes, w.replaced);
    }
    let mut out = String::new();
    match format {
        NoticeFormat::Pdf => {}
        NoticeFormat::Markdown => {
            let _ = writeln!(out, "# {}\n", md(title));
            for b in blocks {
                match b {
                    Block::Heading(h) => {
                        let _ = writeln!(out, "## {}\n", md(h));
                    }
                    Block::Para(lines) => {
                        let lines: Vec<String> = lines.iter().map(|l| md(l)).collect();
                        let _ = writeln!(out, "{}\n", lines.join("  \n"));
                    }
                    Block::Table(header, rows) => {
                        let _ = writeln!(out, "| {} |", header.join(" | "));
                        let _ = writeln!(out, "|{}", " --- |".repeat(header.len()));
                        for row in rows {
                            let cells: Vec<String> = row.iter().map(|c| md(c)).collect();
                            let _ = writeln!(out, "| {} |", cells.join(" | "));
                        }
                        out.push('\n');
                    }
                }
            }
        }
        NoticeFormat::Html => {
            let _ = writeln!(
                out,
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{0}</title>\n<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.2em .5em;text-align:left}}</style></head>\n<body>\n<h1>{0}</h1>",
                html(title)
            );
            for b in blocks {
                match b {
                    Block::Heading(h) => {
                        let _ = writeln!(out, "<h2>{}</h2>", html(h));
                    }
                    Block::Para(lines) => {
                        let lines: Vec<String> = lines.iter().map(|l| html(l)).collect();
                        let _ = writeln!(out, "<p>{}</p>", lines.join("<br>\n"));
                    }
                    Block::Table(header, rows) => {
                        out.push_str("<table>\n<tr>");
                        for h in header {
                            let _ = write!(out, "<th>{}</th>", html(h));
                        }
                        out.push_str("</tr>\n");
                        for row in rows {
                            out.push_str("<tr>");
                            for c in row {
                                let _ = write!(out, "<td>{}</td>", html(c));
                            }
                            out.push_str("</tr>\n");
                        }
                        out.push_str("</table>\n");
                    }
                }
            }
            out.push_str("</body>\n</html>\n");
        }
    }
    (out.into_bytes(), 0)
}

/// The blocks as the lines of the PDF form: paragraphs wrapped, tables
/// set in columns (a cell too wide for its column wraps inside it).
fn pdf_lines(title: &str, blocks: &[Block]) -> Vec<(Style, String)> {
    let mut lines: Vec<(Style, String)> = Vec::new();
    let mut add = |style: Style, text: &str| {
        for l in pdf::wrap(text, style.columns()) {
            lines.push((style, l));
        }
    };
    add(Style::Title, title);
    for b in blocks {
        add(Style::Gap, "");
        match b {
            Block::Heading(h) => add(Style::Heading, h),
            Block::Para(para) => para.iter().for_each(|l| add(Style::Body, l)),
            Block::Table(header, rows) => {
                // A table too wide for body text is set smaller before any
                // of its columns is narrowed.
                let style = if table_width(header, rows) <= Style::Body.columns() {
                    Style::Body
                } else {
                    Style::Small
                };
                for l in table_lines(header, rows, style.columns()) {
                    add(style, &l);
                }
            }
        }
    }
    lines
}

/// The natural widths of a table's columns: each its widest cell.
fn column_widths(header: &[&str], rows: &[Vec<String>]) -> Vec<usize> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    widths
}

/// The width of a table's lines with no column narrowed.
fn table_width(header: &[&str], rows: &[Vec<String>]) -> usize {
    column_widths(header, rows).iter().sum::<usize>() + 2 * header.len().saturating_sub(1)
}

/// A table as monospaced lines at most `width` characters wide: columns
/// two spaces apart, a rule under the header; when the natural widths do
/// not fit, the widest columns are narrowed and their cells wrap.
fn table_lines(header: &[&str], rows: &[Vec<String>], width: usize) -> Vec<String> {
    let n = header.len();
    let mut widths = column_widths(header, rows);
    let room = width.saturating_sub(2 * n.saturating_sub(1)).max(n);
    while widths.iter().sum::<usize>() > room {
        let Some(widest) = widths.iter_mut().max() else { break };
        if *widest <= 4 {
            break;
        }
        *widest -= 1;
    }
    let line_of = |cells: &[String]| -> Vec<String> {
        let wrapped: Vec<Vec<String>> = widths
            .iter()
            .enumerate()
            .map(|(i, w)| pdf::wrap(cells.get(i).map_or("", String::as_str), *w))
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        (0..height)
            .map(|k| {
                let parts: Vec<String> = wrapped
                    .iter()
                    .zip(&widths)
                    .map(|(cell, w)| {
                        let text = cell.get(k).map_or("", String::as_str);
                        format!("{text:<w$}")
                    })
                    .collect();
                parts.join("  ").trim_end().to_owned()
            })
            .collect()
    };
    let mut out = line_of(&header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>());
    out.push(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
    for row in rows {
        out.extend(line_of(row));
    }
    out
}

/// Markdown text: the characters that would start markup are escaped.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#') {
            out.push('\\');
        }
        out.push(if c == '\n' { ' ' } else { c });
    }
    out
}

/// HTML text.
fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// A party's name and address lines, or its identity and "no master data".
fn addressee(who: &str, d: &PartyDetails) -> Vec<String> {
    if !d.master_data {
        return vec![
            format!("{who} (no master data: no name or address on record)"),
            "This notice cannot be sent until the customer's address is known.".into(),
        ];
    }
    let mut lines =
        vec![format!("{} ({})", d.name.clone().unwrap_or_default(), d.identities.join(", "))];
    if let Some(a) = &d.address {
        lines.push(query::address_line(a));
    }
    if let Some(c) = &d.contact {
        let cells = [
            c.function.as_str().to_owned(),
            output::personal_text(&c.person),
            output::personal_text(&c.phone),
            output::personal_text(&c.email),
        ];
        let cells: Vec<&str> = cells.iter().map(String::as_str).filter(|s| !s.is_empty()).collect();
        if !cells.is_empty() {
            lines.push(format!("Attention: {}", cells.join(", ")));
        }
    }
    lines
}

fn title(batch: &NoticeBatch) -> String {
    match &batch.about {
        NoticeKind::Recall { .. } => format!("Recall notice {}", batch.reference),
        NoticeKind::Expiry { before } => format!("Expiry notice: lots expiring before {before}"),
        _ => format!("Notice {}", batch.reference),
    }
}

fn notice_blocks(batch: &NoticeBatch, n: &Notice) -> Vec<Block> {
    let mut blocks = vec![Block::Para(addressee(&n.customer, &n.customer_details))];
    let about = match &batch.about {
        NoticeKind::Recall { class, opened_at, .. } => format!(
            "Reference {}: recall class {}, opened {}.",
            batch.reference,
            output::name(class),
            opened_at.date()
        ),
        NoticeKind::Expiry { before } => {
            format!("Reference {}: lots expiring before {before}.", batch.reference)
        }
        _ => format!("Reference {}.", batch.reference),
    };
    blocks.push(Block::Para(vec![about]));
    blocks.push(Block::Heading("What you received".into()));
    let rows = n
        .lines
        .iter()
        .map(|l| {
            vec![
                l.item.clone(),
                l.product.clone().unwrap_or_default(),
                l.lot.clone(),
                l.expiry.map(|d| d.to_string()).unwrap_or_default(),
                format!("{} {}", l.quantity, l.unit),
                l.order.clone(),
                l.shipped_at.date().to_string(),
                l.delivered_at.map_or_else(|| "not confirmed".into(), |t| t.date().to_string()),
                l.ship_to.clone().unwrap_or_else(|| "main address".into()),
            ]
        })
        .collect();
    blocks.push(Block::Table(
        vec![
            "item",
            "product",
            "lot",
            "expiry",
            "quantity",
            "order",
            "shipped",
            "delivered",
            "ship to",
        ],
        rows,
    ));
    if !n.units.is_empty() {
        blocks.push(Block::Heading("Serialized units and containers you received".into()));
        let rows = n
            .units
            .iter()
            .map(|u| {
                let serials: Vec<String> = u.serials.iter().map(ToString::to_string).collect();
                vec![u.item.clone(), u.lot.clone(), u.containers.join(" "), serials.join(" ")]
            })
            .collect();
        blocks.push(Block::Table(vec!["item", "lot", "containers", "serials"], rows));
    }
    let held = n.outstanding.to_string();
    blocks.push(Block::Para(vec![format!(
        "Still with you according to our records: {}",
        if held.is_empty() { "0".into() } else { held }
    )]));
    blocks.push(Block::Heading("What to do".into()));
    blocks.push(Block::Para(vec![batch.what_to_do.clone()]));
    blocks.push(Block::Heading("Whom to contact".into()));
    let mut contact = match &batch.contact {
        Some(d) => addressee(d.identities.first().map_or("", String::as_str), d),
        None => vec!["(no own site is described in the master data)".into()],
    };
    contact.push(format!("Please quote the reference {} in every reply.", batch.reference));
    blocks.push(Block::Para(contact));
    blocks
}

/// A file name for the `i`-th notice: its number and the customer's
/// identity with everything but letters and digits made `-`.
fn file_name(i: usize, customer: &str, format: NoticeFormat) -> String {
    let slug: String =
        customer.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("{:03}-{slug}.{}", i + 1, format.extension())
}

/// Writes the notices of `batch` into `out` and returns the files written
/// (notices first, the index last) and the characters the PDF form showed
/// as `?`.
fn write_batch(
    batch: &NoticeBatch,
    out: &Path,
    format: NoticeFormat,
) -> Result<(Vec<PathBuf>, usize), CliError> {
    let index_path = out.join(format!("index.{}", format.extension()));
    if index_path.exists() {
        return Err(CliError::Usage(format!(
            "{} exists: notices already written there; choose another --out",
            index_path.display()
        )));
    }
    std::fs::create_dir_all(out)?;
    let mut written = Vec::new();
    let mut index_rows = Vec::new();
    let mut replaced = 0;
    let title = title(batch);
    for (i, n) in batch.notices.iter().enumerate() {
        let name = file_name(i, &n.customer, format);
        let path = out.join(&name);
        let (bytes, r) = render(&title, &notice_blocks(batch, n), format);
        replaced += r;
        std::fs::write(&path, bytes)?;
        written.push(path);
        let lots: Vec<String> = n
            .lines
            .iter()
            .map(|l| format!("{}/{} {} {}", l.item, l.lot, l.quantity, l.unit))
            .collect();
        let d = &n.customer_details;
        index_rows.push(vec![
            name,
            n.customer.clone(),
            if d.master_data {
                d.name.clone().unwrap_or_default()
            } else {
                "NO MASTER DATA".into()
            },
            d.address.as_ref().map(query::address_line).unwrap_or_default(),
            lots.join("; "),
        ]);
    }
    let without = batch.notices.iter().filter(|n| !n.customer_details.master_data).count();
    let blocks = vec![
        Block::Para(vec![
            format!("Reference {}.", batch.reference),
            format!(
                "{} customers notified; {} of them without master data (no address: their notices cannot be sent).",
                batch.notices.len(),
                without
            ),
        ]),
        Block::Heading("What to do (every notice)".into()),
        Block::Para(vec![batch.what_to_do.clone()]),
        Block::Heading("Notices".into()),
        Block::Table(vec!["file", "customer", "name", "address", "lots received"], index_rows),
    ];
    let (bytes, r) = render(&format!("{title}: index"), &blocks, format);
    std::fs::write(&index_path, bytes)?;
    written.push(index_path);
    Ok((written, replaced + r))
}

/// `lotledger notices DIR... --recall RC | --expiring-within DAYS`.
pub fn notices(
    dirs: &[PathBuf],
    subject: &NoticeSubject,
    out: &Path,
    format: NoticeFormat,
) -> Result<Outcome, CliError> {
    let (index, _unresolved) = open_query(dirs, output::Format::Json)?;
    let batch = match subject {
        NoticeSubject::Recall(number) => {
            let n: Reference = number
                .parse()
                .map_err(|e| CliError::Usage(format!("recall number {number:?}: {e}")))?;
            query::recall_notices(&index, &n).map_err(|e| not_found(&index, &e))?
        }
        NoticeSubject::Expiring { days, today } => {
            let before = Date(today.0.saturating_add(i32::try_from(*days).unwrap_or(i32::MAX)));
            query::expiry_notices(&index, before, None)
        }
    };
    let (written, replaced) = write_batch(&batch, out, format)?;
    let without = batch.notices.iter().filter(|n| !n.customer_details.master_data).count();
    output::print(&format!(
        "{}: {} notices and an index written to {}\n",
        batch.reference,
        batch.notices.len(),
        out.display()
    ))?;
    if without > 0 {
        output::print(&format!(
            "WARNING: {without} customers have no master data: their notices name no address\n"
        ))?;
    }
    if replaced > 0 {
        eprintln!(
            "lotledger: note: {replaced} characters the PDF font has no code for (it covers \
             Latin-1) are shown as ? in the PDF notices; --format md or html keeps every character"
        );
    }
    for path in &written {
        output::print(&format!("  {}\n", path.display()))?;
    }
    Ok(Outcome::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the escaping: table cells cannot break a Markdown table or
    /// inject HTML.
    #[test]
    fn text_is_escaped_in_both_forms() {
        assert_eq!(md("a|b*c"), "a\\|b\\*c");
        assert_eq!(html("<b>&\"x\""), "&lt;b&gt;&amp;&quot;x&quot;");
        assert_eq!(
            file_name(0, "gln:7612345000008", NoticeFormat::Html),
            "001-gln-7612345000008.html"
        );
    }

    /// Guards the PDF tables: columns line up under the header, a table
    /// too wide for the page narrows its widest column and wraps its cells
    /// there, and no character of a cell is lost.
    #[test]
    fn pdf_tables_fit_the_page_and_keep_every_cell() {
        let rows = vec![
            vec!["B1".to_owned(), "short".to_owned()],
            vec!["B22".to_owned(), "a product description that is much too long".to_owned()],
        ];
        let lines = table_lines(&["lot", "product"], &rows, 30);
        assert_eq!(lines[0], "lot  product");
        assert!(lines[1].starts_with("---  ---"), "{lines:?}");
        assert_eq!(lines[2], "B1   short");
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        let text: String =
            lines[3..].iter().map(|l| l.get(5..).unwrap_or("")).collect::<Vec<_>>().join(" ");
        assert_eq!(
            text.split_whitespace().collect::<Vec<_>>().join(" "),
            "a product description that is much too long"
        );
        assert!(lines[3].starts_with("B22  "), "{lines:?}");
    }
}
