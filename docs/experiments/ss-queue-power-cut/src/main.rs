//! sequential-storage 8.0.2 queue under the same fault model as lotledger's
//! flash tests: power cut at every write/erase of a store-and-forward
//! workload, torn word filled with arbitrary bits (or programmed subset),
//! NOR semantics for rewrites (AND). Counts acknowledged items lost,
//! phantom items, and errors after reboot.
use embassy_futures::block_on;
use embedded_storage_async::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use sequential_storage::cache::Cache;
use sequential_storage::queue::{QueueConfig, QueueStorage};

const W: usize = 4;
const P: usize = 1024;
const PAGES: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq)]
enum E {
    Cut,
    Off,
    Bounds,
}
impl NorFlashError for E {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::Other
    }
}

#[derive(Clone)]
struct Mock {
    mem: Vec<u8>,
    ops: u64,
    cut: Option<u64>,
    on: bool,
    rng: u64,
    programmed: bool,
}
impl Mock {
    fn r(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn begin(&mut self) -> Result<bool, E> {
        if !self.on {
            return Err(E::Off);
        }
        let n = self.ops;
        self.ops += 1;
        Ok(self.cut == Some(n))
    }
}
impl ErrorType for Mock {
    type Error = E;
}
impl ReadNorFlash for Mock {
    const READ_SIZE: usize = 1;
    async fn read(&mut self, off: u32, b: &mut [u8]) -> Result<(), E> {
        if !self.on {
            return Err(E::Off);
        }
        let s = off as usize;
        b.copy_from_slice(self.mem.get(s..s + b.len()).ok_or(E::Bounds)?);
        Ok(())
    }
    fn capacity(&self) -> usize {
        self.mem.len()
    }
}
impl NorFlash for Mock {
    const WRITE_SIZE: usize = W;
    const ERASE_SIZE: usize = P;
    async fn erase(&mut self, from: u32, to: u32) -> Result<(), E> {
        let torn = self.begin()?;
        for i in (from as usize..to as usize).step_by(W) {
            let c = if torn { self.r() % 3 } else { 0 };
            for j in i..i + W {
                let x = self.r() as u8;
                self.mem[j] = match c {
                    0 => 0xFF,
                    1 if self.programmed => self.mem[j] | x,
                    1 => x,
                    _ => self.mem[j],
                };
            }
        }
        if torn {
            if std::env::var("TRACE").is_ok() { println!("torn erase {from}..{to}"); }
            self.on = false;
            return Err(E::Cut);
        }
        Ok(())
    }
    async fn write(&mut self, off: u32, b: &[u8]) -> Result<(), E> {
        let torn = self.begin()?;
        let words = b.len() / W;
        let t = if torn { (self.r() % words.max(1) as u64) as usize } else { words };
        for (w, chunk) in b.chunks(W).enumerate() {
            if w > t {
                break;
            }
            for (i, v) in chunk.iter().enumerate() {
                let x = self.r() as u8;
                let a = off as usize + w * W + i;
                let old = self.mem[a];
                self.mem[a] = if w == t {
                    if self.programmed { old & (*v | x) } else { x }
                } else {
                    old & *v // NOR: programming only clears bits
                };
            }
        }
        if torn {
            if std::env::var("TRACE").is_ok() { println!("torn write at {off} len {} word {t}", b.len()); }
            self.on = false;
            return Err(E::Cut);
        }
        Ok(())
    }
}
impl MultiwriteNorFlash for Mock {}

/// Item payload: seq (8 bytes) + filler derived from seq, 40..200 bytes.
fn item(seq: u64) -> Vec<u8> {
    let len = 40 + (seq.wrapping_mul(2654435761) % 160) as usize;
    let mut v = seq.to_le_bytes().to_vec();
    v.extend((0..len - 8).map(|i| (seq as u8).wrapping_mul(31).wrapping_add(i as u8)));
    v
}

#[derive(Default, Debug)]
struct Tally {
    cases: u64,
    lost: u64,
    phantom: u64,
    errors: u64,
    stuck: u64,
}


fn queue(m: Mock) -> QueueStorage<Mock, impl sequential_storage::cache::CacheImpl<()>> {
    QueueStorage::new(m, QueueConfig::new(0..(P * PAGES) as u32), Cache::new_uncached())
}

/// Reads all items; Err if the queue errors.
fn contents(m: &Mock) -> Result<Vec<Vec<u8>>, String> {
    let mut q = queue(m.clone());
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    block_on(async {
        let mut it = q.iter().await.map_err(|e| format!("{e:?}"))?;
        while let Some(e) = it.next(&mut buf).await.map_err(|e| format!("{e:?}"))? {
            out.push(e.to_vec());
        }
        Ok::<_, String>(())
    })?;
    Ok(out)
}

/// Workload: push items; every 5th step pop 3. Cut at op k (then reboot,
/// optional second cut j after reboot), then check the acknowledged state.
fn case(k: u64, second: Option<u64>, programmed: bool, seed: u64, t: &mut Tally) {
    let mut m = Mock { mem: vec![0xFF; P * PAGES], ops: 0, cut: Some(k), on: true, rng: seed, programmed };
    let mut acked: std::collections::VecDeque<u64> = Default::default(); // pushed and not popped
    let mut in_flight: Option<u64> = None; // push or pop in flight
    let mut popping: Option<u64> = None;
    let mut next = 0u64;
    let mut buf = [0u8; 1024];
    let mut boots = 0;
    let steps = 120;
    let mut step = 0;
    loop {
        let mut q = queue(m);
        let mut cut = false;
        while step < steps && !cut {
            if step % 5 == 4 {
                for _ in 0..4 {
                    if acked.is_empty() {
                        break;
                    }
                    popping = acked.front().copied();
                    match block_on(q.pop(&mut buf)) {
                        Ok(Some(_)) => {
                            acked.pop_front();
                            popping = None;
                        }
                        Ok(None) => {
                            if std::env::var("DBG").is_ok() && t.lost == 0 {
                                println!("pop None: k={k} second={second:?} prog={programmed} seed={seed} boots={boots} step={step} acked={acked:?}");
                            }
                            t.lost += 1;
                            popping = None;
                        }
                        Err(_) if q.flash().on => {
                            t.errors += 1;
                            popping = None;
                            break;
                        }
                        Err(_) => {
                            cut = true;
                            break;
                        }
                    }
                }
            } else {
                let s = next;
                next += 1;
                in_flight = Some(s);
                match block_on(q.push(&item(s), false)) {
                    Ok(()) => {
                        acked.push_back(s);
                        in_flight = None;
                    }
                    Err(_) if q.flash().on => {
                        in_flight = None;
                        t.stuck += 1;
                    }
                    Err(_) => cut = true,
                }
            }
            step += 1;
            if std::env::var("TRACE").is_ok() && boots > 0 {
                let (mm, c) = q.destroy();
                let snap = contents(&mm).map(|g| g.iter().map(|v| u64::from_le_bytes(v[..8].try_into().unwrap())).collect::<Vec<_>>());
                println!("after step {} (boot {boots}): acked={acked:?} flash says {snap:?}", step - 1);
                q = QueueStorage::new(mm, QueueConfig::new(0..(P * PAGES) as u32), c);
            }
        }
        m = q.destroy().0;
        if !cut {
            break;
        }
        // reboot
        m.on = true;
        m.cut = None;
        if boots == 0 {
            if let Some(j) = second {
                m.cut = Some(m.ops + j);
            }
        }
        boots += 1;
        let got = match contents(&m) {
            Ok(g) => g,
            Err(_) => {
                t.errors += 1;
                return;
            }
        };
        let seqs: Vec<u64> = got.iter().map(|v| u64::from_le_bytes(v[..8].try_into().unwrap())).collect();
        for (v, s) in got.iter().zip(&seqs) {
            if *v != item(*s) {
                t.phantom += 1;
            }
        }
        // Every acked item (allowing for the in-flight pop possibly done, and
        // overwrite-old-data dropping the oldest) must be there in order.
        let mut expect: Vec<u64> = acked.iter().copied().collect();
        let was_popping = popping;
        if let Some(p) = popping.take() {
            if seqs.first() != Some(&p) {
                expect.retain(|x| *x != p);
                acked.retain(|x| *x != p);
            }
        }
        let extra: Vec<u64> = seqs.iter().copied().filter(|s| !expect.contains(s) && Some(*s) != in_flight).collect();
        t.phantom += extra.len() as u64;
        let missing = expect.iter().filter(|s| !seqs.contains(s)).count() as u64;
        if missing > 0 {
            if std::env::var("DBG").is_ok() && t.lost == 0 {
                println!("k={k} second={second:?} prog={programmed} seed={seed} boot={boots} popping={was_popping:?} in_flight={in_flight:?} step={step}\n expect={expect:?}\n got={seqs:?}");
            }
            t.lost += missing;
            acked.retain(|s| seqs.contains(s));
        }
        if let Some(f) = in_flight.take() {
            if seqs.contains(&f) {
                acked.push_back(f);
            }
        }
    }
    // final clean reboot: everything acked must be there
    match contents(&m) {
        Ok(got) => {
            let seqs: Vec<u64> = got.iter().map(|v| u64::from_le_bytes(v[..8].try_into().unwrap())).collect();
            let n = acked.iter().filter(|s| !seqs.contains(s)).count() as u64;
            if n > 0 && std::env::var("DBG").is_ok() && t.lost == 0 {
                println!("final: k={k} second={second:?} prog={programmed} seed={seed} boots={boots} acked={acked:?} got={seqs:?}");
            }
            t.lost += n;
        }
        Err(_) => t.errors += 1,
    }
    t.cases += 1;
}

fn main() {
    if std::env::var("TRACE").is_ok() {
        let mut t = Tally::default();
        case(47, None, true, 47, &mut t);
        println!("{t:?}");
        return;
    }
    {
        let mut t = Tally::default();
        case(u64::MAX, None, false, 1, &mut t);
        println!("baseline without cuts: {t:?}");
    }
    for programmed in [false, true] {
        for second in [None, Some(0), Some(1)] {
            let mut t = Tally::default();
            for seed in 0..8u64 {
                for k in 0..260 {
                    case(k, second, programmed, seed * 1000 + k, &mut t);
                }
            }
            println!("tear={} second_cut={second:?}: {t:?}", if programmed { "programmed" } else { "arbitrary" });
        }
    }
}
