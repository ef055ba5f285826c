//! The invoice finance issues for payments from a unit's balance, as a PDF made by typst like
//! the application documents: number and date, buyer's title and taxpayer number, one line per
//! payment, the total, and who issued it.

use govsite_core::deadline::cst_date;
use govsite_pdf::text as t;

use crate::store::invoices::{Invoice, Item};

/// A date as 2026年12月2日, in China Standard Time.
fn day(ts: i64) -> String {
    use chrono::Datelike;
    let d = cst_date(ts);
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

pub fn invoice_markup(invoice: &Invoice, items: &[Item]) -> String {
    let rows: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(n, i)| {
            format!(
                "[{}], [{}], [{}], table.cell(align: right)[{}]",
                n + 1,
                t(&i.memo),
                t(&day(i.at)),
                t(&i.amount)
            )
        })
        .collect();
    format!(
        "{pre}\
#set text(size: 11pt)\n\
#align(center)[#text(size: 18pt, weight: \"bold\")[注册服务费发票]]\n\
#v(1em)\n\
#table(columns: (8em, 1fr, 6em, 1fr), inset: 6pt, align: left + horizon,\n\
[*发票号码*], [{number}], [*开具日期*], [{issued}],\n\
[*购买方名称*], table.cell(colspan: 3)[{title}],\n\
[*纳税人识别号*], table.cell(colspan: 3)[{tax}],\n)\n\
#v(0.5em)\n\
#table(columns: (3em, 1fr, 8em, 8em), inset: 6pt, align: left + horizon,\n\
table.header([*序号*], [*项目*], [*缴费日期*], table.cell(align: right)[*金额（元）*]),\n\
{rows}{comma}\
table.cell(colspan: 3)[*合计*], table.cell(align: right)[*{total}*],\n)\n\
#v(1em)\n\
销售方：政务和公益机构域名注册管理中心#h(2em)开具人：{by}\n",
        pre = govsite_pdf::preamble(),
        number = t(&invoice.number),
        issued = t(&day(invoice.issued_at)),
        title = t(&invoice.title),
        tax = t(&invoice.tax_number),
        rows = rows.join(",\n"),
        comma = if rows.is_empty() { "" } else { ",\n" },
        total = t(&invoice.amount),
        by = t(&invoice.issued_by),
    )
}
