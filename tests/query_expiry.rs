//! Lots expiring before a date on the hand-built plant of `query_plant`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::cast_possible_truncation
)]

mod query_plant;

use lotledger::query;
use query_plant::*;

#[test]
fn expiring_before_july_2027() {
    let ix = standard().index();
    let rep = query::expiring(&ix, date(2027, 7, 1), None);
    // F1 (2027-01-31): 1000 - 500 shipped + 20 back = 520 at the plant;
    //   in the field C-1 300 - 20 = 280 (to LOC-1), C-2 200.
    // F2 (2027-06-30): 500 - 100 = 400 at the plant; C-1 holds 100 (the
    //   999 to C-3 was voided). F3 (2028-01-01) is not expiring.
    let lots: Vec<_> = rep
        .lots
        .iter()
        .map(|l| (l.lot.as_str(), l.expiry, l.on_hand.to_string(), l.in_field.to_string()))
        .collect();
    assert_eq!(
        lots,
        [
            ("F1", date(2027, 1, 31), "520 H87".to_string(), "480 H87".to_string()),
            ("F2", date(2027, 6, 30), "400 H87".to_string(), "100 H87".to_string()),
        ]
    );
    let customers: Vec<_> = rep
        .customers
        .iter()
        .map(|c| {
            (c.customer.as_str(), c.lot.as_str(), c.outstanding.to_string(), c.ship_to.clone())
        })
        .collect();
    assert_eq!(
        customers,
        [
            ("C-1", "F1", "280".to_string(), vec!["LOC-1".to_string()]),
            ("C-2", "F1", "200".to_string(), vec![]),
            ("C-1", "F2", "100".to_string(), vec![]),
        ]
    );
    assert_eq!(rep.lots[1].status, Some(lotledger::model::Disposition::OnHold));
}

#[test]
fn expiry_windows() {
    let ix = standard().index();
    let lots = |before, from| {
        query::expiring(&ix, before, from).lots.into_iter().map(|l| l.lot).collect::<Vec<_>>()
    };
    assert_eq!(lots(date(2027, 1, 31), None), Vec::<String>::new(), "strictly before");
    assert_eq!(lots(date(2027, 2, 1), None), ["F1"]);
    assert_eq!(lots(date(2030, 1, 1), Some(date(2027, 2, 1))), ["F2", "F3"]);
    let rep = query::expiring(&ix, date(2030, 1, 1), Some(date(2028, 1, 1)));
    assert_eq!(rep.customers.len(), 1);
    assert_eq!(
        (rep.customers[0].customer.as_str(), rep.customers[0].outstanding.to_string()),
        ("C-3", "50".into())
    );
}
