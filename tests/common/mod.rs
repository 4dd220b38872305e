//! proptest strategies for every type in the vocabulary, shared by the
//! integration tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core
)]

use lotledger::entry::Stamp;
use lotledger::model::*;
use proptest::collection::vec as pvec;
use proptest::prelude::*;

fn gs1_number(digits: u32) -> impl Strategy<Value = u64> {
    (0..10u64.pow(digits - 1)).prop_map(|body| body * 10 + gs1_check_digit(body))
}

pub fn code<const N: usize>() -> impl Strategy<Value = Code<N>> {
    // Printable, including multi-byte characters; no spaces at the ends.
    proptest::string::string_regex(&format!(
        "[A-Za-z0-9][A-Za-z0-9 ./_µé-]{{0,{}}}",
        N.saturating_sub(2).min(30)
    ))
    .unwrap()
    .prop_filter_map("fits and no trailing space", |s| Code::<N>::new(&s).ok())
}

pub fn text<const N: usize>() -> impl Strategy<Value = Text<N>> {
    proptest::string::string_regex(&format!("[ -~\\n äöü€]{{0,{}}}", N.min(40)))
        .unwrap()
        .prop_filter_map("fits", |s| Text::<N>::new(&s).ok())
}

pub fn digest() -> impl Strategy<Value = Digest> {
    any::<[u8; 32]>().prop_map(Digest)
}

pub fn gtin() -> impl Strategy<Value = Gtin> {
    gs1_number(14).prop_map(|n| Gtin::new(n).unwrap())
}

pub fn gln() -> impl Strategy<Value = Gln> {
    gs1_number(13).prop_map(|n| Gln::new(n).unwrap())
}

pub fn sscc() -> impl Strategy<Value = Sscc> {
    gs1_number(18).prop_map(|n| Sscc::new(n).unwrap())
}

pub fn item() -> impl Strategy<Value = ItemCode> {
    prop_oneof![gtin().prop_map(ItemCode::Gtin), code().prop_map(ItemCode::Internal)]
}

pub fn party() -> impl Strategy<Value = PartyId> {
    prop_oneof![gln().prop_map(PartyId::Gln), code().prop_map(PartyId::Internal)]
}

pub fn location() -> impl Strategy<Value = LocationId> {
    prop_oneof![gln().prop_map(LocationId::Gln), code().prop_map(LocationId::Internal)]
}

pub fn container() -> impl Strategy<Value = ContainerId> {
    prop_oneof![sscc().prop_map(ContainerId::Sscc), code().prop_map(ContainerId::Internal)]
}

pub fn lot() -> impl Strategy<Value = LotId> {
    (item(), code()).prop_map(|(item, lot)| LotId { item, lot })
}

pub fn unit() -> impl Strategy<Value = Unit> {
    prop_oneof![
        Just(Unit::Piece),
        Just(Unit::One),
        Just(Unit::Kilogram),
        Just(Unit::Gram),
        Just(Unit::Milligram),
        Just(Unit::Tonne),
        Just(Unit::Litre),
        Just(Unit::Millilitre),
        Just(Unit::Metre),
        Just(Unit::SquareMetre),
        "[A-Z0-9]{2,3}".prop_map(|c| Unit::from_code(&c).unwrap()),
    ]
}

pub fn quantity() -> impl Strategy<Value = Quantity> {
    (any::<u64>(), 0..=Quantity::MAX_SCALE, unit())
        .prop_map(|(a, s, u)| Quantity::new(a, s, u).unwrap())
}

pub fn lot_quantity() -> impl Strategy<Value = LotQuantity> {
    (lot(), quantity()).prop_map(|(lot, quantity)| LotQuantity { lot, quantity })
}

pub fn reference() -> impl Strategy<Value = Reference> {
    code()
}

pub fn timestamp() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        any::<i64>().prop_map(Timestamp),
        (1_500_000_000_000i64..2_500_000_000_000).prop_map(Timestamp)
    ]
}

pub fn date() -> impl Strategy<Value = Date> {
    any::<i32>().prop_map(Date)
}

pub fn entry_ref() -> impl Strategy<Value = EntryRef> {
    (any::<u64>(), digest()).prop_map(|(seq, hash)| EntryRef { seq, hash })
}

fn hvec<T: std::fmt::Debug, const N: usize>(
    s: impl Strategy<Value = T>,
    max: usize,
) -> impl Strategy<Value = heapless::Vec<T, N>> {
    pvec(s, 0..=max.min(N)).prop_map(|v| {
        let mut out = heapless::Vec::new();
        for x in v {
            out.push(x).unwrap();
        }
        out
    })
}

pub fn severity() -> impl Strategy<Value = Severity> {
    prop_oneof![Just(Severity::General), Just(Severity::Major), Just(Severity::Crisis)]
}

pub fn complaint_type() -> impl Strategy<Value = ComplaintType> {
    prop_oneof![
        Just(ComplaintType::ProductQuality),
        Just(ComplaintType::ServiceAttitude),
        Just(ComplaintType::Logistics),
        Just(ComplaintType::ContractDispute),
        Just(ComplaintType::MisleadingAdvertising),
    ]
}

fn complaint_registered_v1() -> impl Strategy<Value = ComplaintRegisteredV1> {
    (
        (
            reference(),
            timestamp(),
            prop_oneof![
                Just(Channel::Phone),
                Just(Channel::Email),
                Just(Channel::Web),
                Just(Channel::Visit),
                Just(Channel::Letter)
            ],
        ),
        (text(), proptest::option::of(party()), text()),
        (proptest::option::of(party()), text(), text(), proptest::option::of(quantity())),
        (proptest::option::of(lot()), proptest::option::of(reference()), text(), text(), text()),
        (hvec(digest(), 4), severity(), complaint_type()),
    )
        .prop_map(
            |(
                (complaint, received_at, channel),
                (person, organisation, contact),
                (customer, product, packaging, quantity),
                (lot, order, place_of_purchase, story, expectation),
                (evidence, severity, kind),
            )| ComplaintRegisteredV1 {
                complaint,
                received_at,
                channel,
                complainant: ComplainantV1 { person, organisation, contact },
                customer,
                product,
                packaging,
                quantity,
                lot,
                order,
                place_of_purchase,
                story,
                expectation,
                evidence,
                severity,
                kind,
            },
        )
}

/// A personal field: plain or sealed.
pub fn personal<const N: usize>() -> impl Strategy<Value = Personal<N>> {
    prop_oneof![text().prop_map(Personal::Plain), digest().prop_map(Personal::Sealed)]
}

fn complaint_registered() -> impl Strategy<Value = ComplaintRegistered> {
    (complaint_registered_v1(), personal(), personal(), personal()).prop_map(
        |(v1, person, contact, story)| {
            let mut c = ComplaintRegistered::from(v1);
            c.complainant.person = person;
            c.complainant.contact = contact;
            c.story = story;
            c
        },
    )
}

pub fn address() -> impl Strategy<Value = Address> {
    (text(), text(), text(), text(), text()).prop_map(
        |(street, city, postal_code, region, country)| Address {
            street,
            city,
            postal_code,
            region,
            country,
        },
    )
}

pub fn contact() -> impl Strategy<Value = Contact> {
    (text(), personal(), personal(), personal())
        .prop_map(|(function, person, phone, email)| Contact { function, person, phone, email })
}

pub fn party_role() -> impl Strategy<Value = PartyRole> {
    prop_oneof![
        Just(PartyRole::Customer),
        Just(PartyRole::Supplier),
        Just(PartyRole::Carrier),
        Just(PartyRole::OwnSite)
    ]
}

pub fn serial_span() -> impl Strategy<Value = SerialSpan> {
    prop_oneof![
        code().prop_map(SerialSpan::One),
        ("[!-~]{0,6}", any::<u64>(), 1..=u32::MAX, 0u8..=12).prop_filter_map(
            "a valid range",
            |(prefix, first, count, width)| {
                SerialRange::new(&prefix, first % 10_000_000_000, count, width)
                    .ok()
                    .map(SerialSpan::Range)
            }
        ),
    ]
}

pub fn goods() -> impl Strategy<Value = Goods> {
    prop_oneof![
        lot_quantity().prop_map(Goods::Lot),
        container().prop_map(Goods::Container),
        (lot(), serial_span())
            .prop_map(|(lot, serials)| Goods::Serials(LotSerials { lot, serials })),
    ]
}

pub fn return_kind() -> impl Strategy<Value = ReturnKind> {
    prop_oneof![Just(ReturnKind::Return), Just(ReturnKind::Exchange)]
}

fn complaint_step() -> impl Strategy<Value = ComplaintStep> {
    prop_oneof![
        Just(ComplaintStep::Acknowledged),
        (severity(), complaint_type())
            .prop_map(|(severity, kind)| ComplaintStep::Reclassified { severity, kind }),
        (
            prop_oneof![
                Just(InvestigationMethod::OnSite),
                Just(InvestigationMethod::Sampling),
                Just(InvestigationMethod::ThirdParty),
                Just(InvestigationMethod::RecordReview)
            ],
            text(),
            proptest::option::of(prop_oneof![
                Just(RootCause::Design),
                Just(RootCause::Production),
                Just(RootCause::Transport),
                Just(RootCause::Usage),
                Just(RootCause::Service)
            ]),
        )
            .prop_map(|(method, findings, root_cause)| ComplaintStep::Investigated {
                method,
                findings,
                root_cause
            }),
        text().prop_map(|note| ComplaintStep::Planned { note }),
        (
            prop_oneof![
                Just(Remedy::Return),
                Just(Remedy::Exchange),
                Just(Remedy::Refund),
                Just(Remedy::Repair),
                Just(Remedy::Compensation),
                Just(Remedy::NoFault)
            ],
            proptest::option::of(reference()),
            text(),
        )
            .prop_map(|(remedy, capa, note)| ComplaintStep::Resolved {
                remedy,
                capa,
                note
            }),
        (any::<bool>(), text())
            .prop_map(|(accepted, note)| ComplaintStep::CustomerResponse { accepted, note }),
        (1..=5u8, text())
            .prop_map(|(satisfaction, note)| ComplaintStep::FollowedUp { satisfaction, note }),
        Just(ComplaintStep::Closed),
        Just(ComplaintStep::Archived),
    ]
}

/// A record of the given kind.
pub fn record_of(kind: RecordKind) -> BoxedStrategy<Record> {
    match kind {
        RecordKind::MaterialReceived => (
            lot(),
            quantity(),
            party(),
            proptest::option::of(code()),
            proptest::option::of(reference()),
        )
            .prop_map(|(lot, quantity, supplier, supplier_lot, order)| {
                Record::MaterialReceived(MaterialReceived {
                    lot,
                    quantity,
                    supplier,
                    supplier_lot,
                    order,
                })
            })
            .boxed(),
        RecordKind::Inspected => (
            lot(),
            prop_oneof![
                Just(InspectionStage::Incoming),
                Just(InspectionStage::InProcess),
                Just(InspectionStage::Release)
            ],
            prop_oneof![
                Just(InspectionResult::Accepted),
                Just(InspectionResult::Rejected),
                Just(InspectionResult::Conditional)
            ],
            proptest::option::of(digest()),
            proptest::option::of(reference()),
            text(),
        )
            .prop_map(|(lot, stage, result, certificate, report, note)| {
                Record::Inspected(Inspected { lot, stage, result, certificate, report, note })
            })
            .boxed(),
        RecordKind::Produced => (
            reference(),
            code(),
            date(),
            proptest::option::of(date()),
            hvec(lot_quantity(), 24),
            hvec(lot_quantity(), 8),
        )
            .prop_map(|(work_order, line, produced_on, expiry, inputs, outputs)| {
                Record::Produced(Produced {
                    work_order,
                    line,
                    produced_on,
                    expiry,
                    inputs,
                    outputs,
                })
            })
            .boxed(),
        RecordKind::DispositionSet => (
            lot(),
            prop_oneof![
                Just(Disposition::Quarantine),
                Just(Disposition::Released),
                Just(Disposition::OnHold),
                Just(Disposition::Rejected)
            ],
            text(),
        )
            .prop_map(|(lot, status, reason)| {
                Record::DispositionSet(DispositionSet { lot, status, reason })
            })
            .boxed(),
        RecordKind::Packed => (
            container(),
            hvec(
                prop_oneof![
                    lot_quantity().prop_map(Packable::Lot),
                    container().prop_map(Packable::Container)
                ],
                16,
            ),
        )
            .prop_map(|(into, contents)| Record::Packed(Packed { into, contents }))
            .boxed(),
        RecordKind::Shipped => {
            (lot(), quantity(), party(), proptest::option::of(location()), reference())
                .prop_map(|(lot, quantity, customer, ship_to, order)| {
                    Record::Shipped(Shipped { lot, quantity, customer, ship_to, order })
                })
                .boxed()
        }
        RecordKind::Delivered => (reference(), party())
            .prop_map(|(order, customer)| Record::Delivered(Delivered { order, customer }))
            .boxed(),
        RecordKind::Returned => (
            lot(),
            quantity(),
            party(),
            prop_oneof![Just(ReturnKind::Return), Just(ReturnKind::Exchange)],
            text(),
            proptest::option::of(reference()),
            proptest::option::of(reference()),
        )
            .prop_map(|(lot, quantity, from, kind, reason, complaint, order)| {
                Record::Returned(Returned { lot, quantity, from, kind, reason, complaint, order })
            })
            .boxed(),
        RecordKind::ComplaintRegistered => {
            complaint_registered().prop_map(Record::ComplaintRegistered).boxed()
        }
        RecordKind::ComplaintProgress => (reference(), complaint_step())
            .prop_map(|(complaint, step)| {
                Record::ComplaintProgress(ComplaintProgress { complaint, step })
            })
            .boxed(),
        RecordKind::RecallOpened => (
            reference(),
            prop_oneof![Just(RecallClass::I), Just(RecallClass::II), Just(RecallClass::III)],
            hvec(lot(), 8),
            text(),
        )
            .prop_map(|(recall, class, lots, reason)| {
                Record::RecallOpened(RecallOpened { recall, class, lots, reason })
            })
            .boxed(),
        RecordKind::RecallAction => (
            reference(),
            prop_oneof![
                party().prop_map(|customer| RecallStep::CustomerNotified { customer }),
                (party(), lot(), quantity()).prop_map(|(customer, lot, quantity)| {
                    RecallStep::Retrieved { customer, lot, quantity }
                }),
                text().prop_map(|note| RecallStep::Closed { note }),
            ],
        )
            .prop_map(|(recall, step)| Record::RecallAction(RecallAction { recall, step }))
            .boxed(),
        RecordKind::Destroyed => (lot(), quantity(), text(), proptest::option::of(reference()))
            .prop_map(|(lot, quantity, reason, recall)| {
                Record::Destroyed(Destroyed { lot, quantity, reason, recall })
            })
            .boxed(),
        RecordKind::Corrected => (entry_ref(), text(), hvec(any::<u64>(), 4))
            .prop_map(|(target, reason, replacements)| {
                Record::Corrected(Corrected { target, reason, replacements })
            })
            .boxed(),
        RecordKind::Attached => (
            prop_oneof![
                lot().prop_map(Subject::Lot),
                reference().prop_map(Subject::Complaint),
                reference().prop_map(Subject::Recall),
                reference().prop_map(Subject::Order),
                entry_ref().prop_map(Subject::Entry),
            ],
            prop_oneof![
                Just(DocumentKind::CertificateOfAnalysis),
                Just(DocumentKind::Photo),
                Just(DocumentKind::Report),
                Just(DocumentKind::DeliveryNote),
                Just(DocumentKind::Interchange),
                Just(DocumentKind::Other),
            ],
            digest(),
            text(),
        )
            .prop_map(|(subject, kind, digest, name)| {
                Record::Attached(Attached { subject, kind, digest, name })
            })
            .boxed(),
        RecordKind::Checkpointed => (
            any::<u64>(),
            digest(),
            proptest::option::of((code(), any::<[u8; 4]>(), any::<[u8; 32]>(), any::<[u8; 32]>())),
        )
            .prop_map(|(size, root, sig)| {
                Record::Checkpointed(Checkpointed {
                    size,
                    root,
                    signature: sig.map(|(name, key_id, a, b)| {
                        let mut s = [0u8; 64];
                        s[..32].copy_from_slice(&a);
                        s[32..].copy_from_slice(&b);
                        CheckpointSignature { name, key_id, signature: Signature(s) }
                    }),
                })
            })
            .boxed(),
        RecordKind::ComplaintRegisteredV1 => {
            complaint_registered_v1().prop_map(Record::ComplaintRegisteredV1).boxed()
        }
        RecordKind::PartyDescribed => (
            party(),
            hvec(party(), 3),
            text(),
            hvec(party_role(), 4),
            hvec(address(), 2),
            hvec(contact(), 3),
        )
            .prop_map(|(party, also_known_as, name, roles, addresses, contacts)| {
                Record::PartyDescribed(PartyDescribed {
                    party,
                    also_known_as,
                    name,
                    roles,
                    addresses,
                    contacts,
                })
            })
            .boxed(),
        RecordKind::LocationDescribed => (
            location(),
            prop_oneof![
                Just(LocationKind::ShipTo),
                Just(LocationKind::Warehouse),
                Just(LocationKind::Site),
                Just(LocationKind::Other)
            ],
            text(),
            address(),
            proptest::option::of(party()),
        )
            .prop_map(|(location, kind, name, address, owner)| {
                Record::LocationDescribed(LocationDescribed {
                    location,
                    kind,
                    name,
                    address,
                    owner,
                })
            })
            .boxed(),
        RecordKind::ProductDescribed => (
            (item(), hvec(item(), 2), text(), text()),
            (text(), proptest::option::of(quantity()), proptest::option::of(any::<u32>()), text()),
        )
            .prop_map(
                |(
                    (item, also_known_as, description, form),
                    (strength, pack_size, shelf_life_days, storage),
                )| {
                    Record::ProductDescribed(ProductDescribed {
                        item,
                        also_known_as,
                        description,
                        form,
                        strength,
                        pack_size,
                        shelf_life_days,
                        storage,
                    })
                },
            )
            .boxed(),
        RecordKind::Commissioned => (lot(), hvec(serial_span(), 16))
            .prop_map(|(lot, serials)| Record::Commissioned(Commissioned { lot, serials }))
            .boxed(),
        RecordKind::Aggregated => (
            container(),
            prop_oneof![Just(AggregationAction::Pack), Just(AggregationAction::Unpack)],
            hvec(goods(), 16),
        )
            .prop_map(|(parent, action, contents)| {
                Record::Aggregated(Aggregated { parent, action, contents })
            })
            .boxed(),
        RecordKind::GoodsShipped => {
            (party(), proptest::option::of(location()), reference(), hvec(goods(), 16))
                .prop_map(|(customer, ship_to, order, goods)| {
                    Record::GoodsShipped(GoodsShipped { customer, ship_to, order, goods })
                })
                .boxed()
        }
        RecordKind::GoodsReturned => (
            party(),
            return_kind(),
            text(),
            proptest::option::of(reference()),
            proptest::option::of(reference()),
            hvec(goods(), 16),
        )
            .prop_map(|(from, kind, reason, complaint, order, goods)| {
                Record::GoodsReturned(GoodsReturned { from, kind, reason, complaint, order, goods })
            })
            .boxed(),
        RecordKind::Decommissioned => (
            prop_oneof![
                Just(DecommissionReason::Sample),
                Just(DecommissionReason::Destroyed),
                Just(DecommissionReason::Stolen),
                Just(DecommissionReason::Dispensed),
                Just(DecommissionReason::Damaged),
                Just(DecommissionReason::Other)
            ],
            text(),
            proptest::option::of(reference()),
            hvec(goods(), 16),
        )
            .prop_map(|(reason, note, recall, goods)| {
                Record::Decommissioned(Decommissioned { reason, note, recall, goods })
            })
            .boxed(),
        RecordKind::PersonalDataErased => (
            prop_oneof![
                reference().prop_map(ErasureSubject::Complaint),
                party().prop_map(ErasureSubject::Party),
                Just(ErasureSubject::Values),
            ],
            hvec(digest(), 16),
            text(),
        )
            .prop_map(|(subject, commitments, reason)| {
                Record::PersonalDataErased(PersonalDataErased { subject, commitments, reason })
            })
            .boxed(),
        RecordKind::RetentionApplied => (
            prop_oneof![Just(RetentionAction::Archived), Just(RetentionAction::Disposed)],
            any::<u64>(),
            any::<u64>(),
            digest(),
            text(),
        )
            .prop_map(|(action, first_seq, end_seq, manifest, reason)| {
                Record::RetentionApplied(RetentionApplied {
                    action,
                    first_seq,
                    end_seq,
                    manifest,
                    reason,
                })
            })
            .boxed(),
        _ => unreachable!("a kind without a strategy: add one"),
    }
}

/// A record of any kind.
pub fn record() -> impl Strategy<Value = Record> {
    proptest::sample::select(RecordKind::ALL).prop_flat_map(record_of)
}

pub fn stamp() -> impl Strategy<Value = Stamp> {
    (timestamp(), code(), code()).prop_map(|(time, actor, station)| Stamp { time, actor, station })
}
