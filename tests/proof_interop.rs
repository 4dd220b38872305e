//! Interoperability with signed checkpoints produced by Go's checksum
//! database (sum.golang.org), a production C2SP signed-note / checkpoint
//! signer independent of this crate.

use lotledger::proof::{Checkpoint, CheckpointError, Note, NoteError, VerifierKey};

/// The public sum.golang.org verifier key, as built into the go command
/// (cmd/go/internal/modfetch/key.go, GOSUMDB default).
const SUMDB_KEY: &str = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

/// Signed tree heads served by sum.golang.org, as quoted in public sources:
/// a Go 1.27.1 lookup of golang.org/x/sync@v0.1.0 (size 65209736), a
/// /lookup response for sigsum.org/sigsum-go (size 49189689) and a
/// transparency-dev checkpoint parser benchmark (size 31700353).
const NOTES: [(&str, u64, &str); 3] = [
    (
        "go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n\
         \u{2014} sum.golang.org Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/R3cVtYspg3dxXABkGZZKdsQ8=\n",
        65_209_736,
        "5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=",
    ),
    (
        "go.sum database tree\n49189689\nftjbAOzaupaIvaPo/G+Dk63nxOZ2s1OPOKIaPtXs7S4=\n\n\
         \u{2014} sum.golang.org Az3grlKZssqRoMNPpZfKt0TphbbcF+pzXqElURJKRNFKfaUAgqeI5k2AORH0QAhg/ebRwyIqD/OqP4oLtLnNumvOBAM=\n",
        49_189_689,
        "ftjbAOzaupaIvaPo/G+Dk63nxOZ2s1OPOKIaPtXs7S4=",
    ),
    (
        "go.sum database tree\n31700353\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n\n\
         \u{2014} sum.golang.org Az3grnmrIUEDFqHzAElIQCPNoRFRAAdFo47fooyWKMHb89k11GJh5zHIfNCOBmwn/C3YI8oW9/C8DJ87F61QqspBYwM=\n",
        31_700_353,
        "qINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=",
    ),
];

#[test]
fn sum_golang_org_checkpoints_verify() {
    let key = VerifierKey::parse(SUMDB_KEY).unwrap();
    assert_eq!(key.key_id(), [0x03, 0x3d, 0xe0, 0xae]);
    for (msg, size, root_b64) in NOTES {
        let cp = Checkpoint::open(msg.as_bytes(), &[key]).unwrap();
        assert_eq!(cp.origin, "go.sum database tree");
        assert_eq!(cp.size, size);
        let mut body = [0u8; 128];
        let n = cp.write_body(&mut body).unwrap();
        assert!(msg.as_bytes().starts_with(&body[..n]));
        assert!(core::str::from_utf8(&body[..n]).unwrap().contains(root_b64));
    }
}

#[test]
fn altered_sum_golang_org_checkpoint_fails() {
    let key = VerifierKey::parse(SUMDB_KEY).unwrap();
    let mut msg = NOTES[0].0.as_bytes().to_vec();
    // "65209736" -> "65209737"
    msg[28] = b'7';
    assert_eq!(
        Checkpoint::open(&msg, &[key]),
        Err(CheckpointError::Note(NoteError::InvalidSignature { key_id: key.key_id() }))
    );
    // The note still parses; only the signature check fails.
    assert!(Note::parse(&msg).is_ok());
}
