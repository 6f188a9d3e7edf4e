//! Bulk review: a stream of records in, one outcome per record out, in parallel and in bounded memory.
//!
//! The shape is a pull pipeline. `jobs` rayon workers each take the next record from the shared input
//! stream (parsing happens there, under the stream's lock, and is cheap next to a review), review it, and
//! send the result to the caller's thread, which writes it. Memory is bounded by a window of `window`
//! records: a worker takes a permit before it pulls a record and the writer gives it back once the
//! record's outcome is written, so however slow one case is, at most `window` records are in flight or
//! waiting to be written — whatever the archive's size. With `ordered`, the writer holds finished
//! outcomes until every earlier one is written (input order); without it, outcomes are written as they
//! complete.
//!
//! Nothing is lost: every record yields exactly one [`Outcome`] — reviewed, rejected (by ingest, or
//! because its review panicked: a bug on one odd note must not end a run over a million), or skipped (a
//! resumed run's already-written case).

pub mod synth;

use crate::ingest::{Case, Reject};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Condvar, Mutex};
use std::time::Instant;

/// How to run.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Worker threads.
    pub jobs: usize,
    /// Write outcomes in input order.
    pub ordered: bool,
    /// Records in flight or waiting to be written, at most.
    pub window: usize,
}

impl Options {
    /// `jobs` workers (0: all cores), a window of 32 records per worker.
    pub fn new(jobs: usize, ordered: bool) -> Options {
        let jobs = if jobs == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            jobs
        };
        Options {
            jobs,
            ordered,
            window: (jobs * 32).max(64),
        }
    }
}

/// What became of one input record. `seq` is its 0-based position in the input stream.
#[derive(Debug)]
pub enum Outcome<R> {
    /// Reviewed: the worker's output.
    Done {
        /// Position in the input.
        seq: u64,
        /// The case id.
        case_id: String,
        /// Notes in the case.
        notes: usize,
        /// Bytes of note text in the case.
        bytes: usize,
        /// What the worker made of it.
        output: R,
    },
    /// Rejected, with the reason.
    Rejected {
        /// Position in the input.
        seq: u64,
        /// Which record and why.
        reject: Reject,
    },
    /// Skipped because the caller's `skip` said so (already in a resumed output).
    Skipped {
        /// Position in the input.
        seq: u64,
        /// The case id.
        case_id: String,
    },
}

impl<R> Outcome<R> {
    fn seq(&self) -> u64 {
        match self {
            Outcome::Done { seq, .. }
            | Outcome::Rejected { seq, .. }
            | Outcome::Skipped { seq, .. } => *seq,
        }
    }
}

/// Totals of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    /// Input records seen (= reviewed + rejected + skipped).
    pub records: u64,
    /// Cases reviewed.
    pub cases: u64,
    /// Notes in the reviewed cases.
    pub notes: u64,
    /// Bytes of note text in the reviewed cases.
    pub bytes: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Records skipped (resume).
    pub skipped: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl Summary {
    fn add<R>(&mut self, o: &Outcome<R>) {
        self.records += 1;
        match o {
            Outcome::Done { notes, bytes, .. } => {
                self.cases += 1;
                self.notes += *notes as u64;
                self.bytes += *bytes as u64;
            }
            Outcome::Rejected { .. } => self.rejected += 1,
            Outcome::Skipped { .. } => self.skipped += 1,
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.seconds.max(1e-9);
        write!(
            f,
            "{} cases, {} notes, {:.1} MB of note text in {:.2} s ({:.0} notes/s, {:.1} MB/s); {} rejected",
            self.cases,
            self.notes,
            self.bytes as f64 / 1e6,
            self.seconds,
            self.notes as f64 / s,
            self.bytes as f64 / 1e6 / s,
            self.rejected
        )?;
        if self.skipped > 0 {
            write!(f, "; {} skipped (already in the output)", self.skipped)?;
        }
        Ok(())
    }
}

/// A counting semaphore: the window of records in flight.
struct Permits {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Permits {
    fn acquire(&self) {
        let mut n = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *n == 0 {
            n = self.freed.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        *n -= 1;
    }

    fn release(&self, k: usize) {
        *self.free.lock().unwrap_or_else(|e| e.into_inner()) += k;
        self.freed.notify_all();
    }
}

/// Runs `work` over every case of `records` and hands each outcome to `consume` on the calling thread.
/// `skip` is asked about each parsed case first. An error from `consume` (the output cannot be written)
/// stops the run and is returned; records not yet read are left unread.
pub fn run<I, R, E>(
    records: I,
    opts: &Options,
    skip: &(dyn Fn(&Case) -> bool + Sync),
    work: &(dyn Fn(&Case) -> R + Sync),
    mut consume: impl FnMut(Outcome<R>) -> Result<(), E>,
) -> Result<Summary, E>
where
    I: Iterator<Item = Result<Case, Reject>> + Send,
    R: Send,
{
    let start = Instant::now();
    let input = Mutex::new((records, 0u64, false));
    let permits = Permits {
        free: Mutex::new(opts.window.max(1)),
        freed: Condvar::new(),
    };
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<Outcome<R>>(opts.window.max(1));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .thread_name(|i| format!("precert-worker-{i}"))
        .build()
        .expect("cannot start worker threads");
    let mut summary = Summary::default();
    let mut result = Ok(());
    pool.in_place_scope(|scope| {
        for _ in 0..opts.jobs.max(1) {
            let tx = tx.clone();
            let (input, permits, stop) = (&input, &permits, &stop);
            scope.spawn(move |_| loop {
                permits.acquire();
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                let next = {
                    let mut guard = input.lock().unwrap_or_else(|e| e.into_inner());
                    let (iter, seq, done) = &mut *guard;
                    if *done {
                        None
                    } else {
                        match iter.next() {
                            Some(r) => {
                                *seq += 1;
                                Some((*seq - 1, r))
                            }
                            None => {
                                *done = true;
                                None
                            }
                        }
                    }
                };
                let Some((seq, record)) = next else {
                    permits.release(1);
                    return;
                };
                let outcome = match record {
                    Err(reject) => Outcome::Rejected { seq, reject },
                    Ok(case) if skip(&case) => Outcome::Skipped {
                        seq,
                        case_id: case.case_id,
                    },
                    Ok(case) => match catch_unwind(AssertUnwindSafe(|| work(&case))) {
                        Ok(output) => Outcome::Done {
                            seq,
                            notes: case.notes.len(),
                            bytes: case.notes.iter().map(|n| n.text.len()).sum(),
                            case_id: case.case_id,
                            output,
                        },
                        Err(panic) => Outcome::Rejected {
                            seq,
                            reject: Reject {
                                record: format!("record {}", seq + 1),
                                line: None,
                                case_id: Some(case.case_id),
                                reason: format!(
                                    "internal error while reviewing (please report): {}",
                                    panic_message(&panic)
                                ),
                            },
                        },
                    },
                };
                if tx.send(outcome).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        // The writer: this thread.
        let mut held: BTreeMap<u64, Outcome<R>> = BTreeMap::new();
        let mut next = 0u64;
        for outcome in rx.iter() {
            if result.is_err() {
                // Writing failed: drain what the workers still send; they stop pulling.
                continue;
            }
            let ready: Vec<Outcome<R>> = if opts.ordered {
                held.insert(outcome.seq(), outcome);
                let mut ready = Vec::new();
                while let Some(o) = held.remove(&next) {
                    next += 1;
                    ready.push(o);
                }
                ready
            } else {
                vec![outcome]
            };
            let n = ready.len();
            for o in ready {
                summary.add(&o);
                if let Err(e) = consume(o) {
                    result = Err(e);
                    // Stop the workers, and wake every one waiting for a permit so it can see that.
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    permits.release(usize::MAX / 2);
                    break;
                }
            }
            if result.is_ok() {
                permits.release(n);
            }
        }
    });
    result?;
    summary.seconds = start.elapsed().as_secs_f64();
    Ok(summary)
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(id: usize) -> Case {
        crate::ingest::test_case(&format!("c{id}"), &"x".repeat(id % 7 + 1), None)
    }

    fn input(n: usize) -> impl Iterator<Item = Result<Case, Reject>> + Send {
        (0..n).map(|i| {
            if i % 10 == 3 {
                Err(Reject {
                    record: format!("r{i}"),
                    line: None,
                    case_id: None,
                    reason: "bad".into(),
                })
            } else {
                Ok(case(i))
            }
        })
    }

    #[test]
    fn ordered_output_is_input_order_and_nothing_is_lost() {
        for jobs in [1, 3] {
            let mut seen = Vec::new();
            let work = |c: &Case| {
                // Uneven work, so completion order differs from input order.
                std::thread::sleep(std::time::Duration::from_micros(
                    (c.notes[0].text.len() as u64 * 37) % 200,
                ));
                c.case_id.clone()
            };
            let s = run(
                input(500),
                &Options {
                    jobs,
                    ordered: true,
                    window: 8,
                },
                &|_| false,
                &work,
                |o| {
                    seen.push(o.seq());
                    Ok::<(), ()>(())
                },
            )
            .unwrap();
            assert_eq!(seen, (0..500).collect::<Vec<u64>>());
            assert_eq!(s.records, 500);
            assert_eq!(s.rejected, 50);
            assert_eq!(s.cases, 450);
        }
    }

    #[test]
    fn panics_become_rejects_and_skips_are_counted() {
        let work = |c: &Case| {
            if c.case_id == "c5" {
                panic!("boom on {}", c.case_id);
            }
        };
        let mut rejects = Vec::new();
        let s = run(
            input(40),
            &Options::new(2, false),
            &|c| c.case_id == "c7",
            &work,
            |o| {
                if let Outcome::Rejected { reject, .. } = o {
                    rejects.push(reject);
                }
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        assert_eq!(s.records, 40);
        assert_eq!(s.skipped, 1);
        assert_eq!(s.rejected, 5);
        assert_eq!(s.cases, 34);
        let boom = rejects
            .iter()
            .find(|r| r.case_id.as_deref() == Some("c5"))
            .expect("the panic is a reject");
        assert!(boom.reason.contains("boom on c5"), "{boom}");
    }

    #[test]
    fn a_write_error_stops_the_run() {
        let mut n = 0;
        let r = run(
            input(10_000),
            &Options::new(2, false),
            &|_| false,
            &|_c: &Case| (),
            |_| {
                n += 1;
                if n == 100 {
                    Err("disk full")
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(r.unwrap_err(), "disk full");
    }
}
