//! Password hashing with argon2id at OWASP's recommended parameters.
//!
//! Hashing is CPU-bound and deliberately slow, so it runs on its own threads, one per core,
//! never on the async runtime that answers every other request. A storm of sign-ins queues
//! for those threads, and they run at a lower CPU priority than the rest of the server
//! (nice 10): while nothing else needs the cores, hashing has all of them; when a search or
//! a page needs one, the scheduler gives it first.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, LazyLock, Mutex};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::oneshot;

use crate::error::AppError;

/// OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

/// How many nice steps the hashing threads sit below the server's own threads: the
/// scheduler weighs a thread at nice 10 about a tenth of one at nice 0, so hashing takes
/// the cores that requests leave idle.
pub const HASHING_NICE_STEPS: i32 = 10;
/// The largest nice value Linux has.
const NICEST: i32 = 19;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password, verified against when the user is unknown or has no
/// password, so that those answers take as long as a wrong password does.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut bytes = [0u8; 24];
    rand::fill(&mut bytes);
    argon2()
        .hash_password(&bytes)
        .expect("hashing random bytes succeeds")
        .to_string()
});

type Job = Box<dyn FnOnce() + Send>;

/// Hashes waiting per hashing thread before a new one is refused: a second or two of work,
/// so a caller hears "busy" at once rather than after the request deadline.
const WAITING_PER_THREAD: usize = 32;

/// Hashes passwords on its own threads. Clones share them; the threads end once the last
/// clone is gone. The queue is bounded: past it, a hash is refused at once (503) rather
/// than answered after the request's deadline.
#[derive(Clone)]
pub struct PasswordHasher {
    jobs: Sender<Job>,
    /// Hashes queued or running now, and how many may be.
    queued: Arc<std::sync::atomic::AtomicUsize>,
    capacity: usize,
}

impl PasswordHasher {
    /// A hasher running at most `concurrency` hashes at once, each on its own thread.
    pub fn new(concurrency: usize) -> Self {
        Self::bounded(concurrency, concurrency.max(1) * WAITING_PER_THREAD)
    }

    /// [`Self::new`], refusing a hash while `capacity` are queued or running.
    pub fn bounded(concurrency: usize, capacity: usize) -> Self {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..concurrency.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || hashing_thread(&queue))
                .expect("the system starts a thread");
        }
        Self {
            jobs,
            queued: Arc::default(),
            capacity: capacity.max(1),
        }
    }

    /// One hashing thread per core.
    pub fn for_this_machine() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || {
            argon2()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(AppError::internal)
        })
        .await
    }

    /// Whether `password` matches `stored`. With `stored == None` a dummy hash is checked,
    /// so the time taken does not reveal whether the account exists.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        self.run(move || {
            let known = stored.is_some();
            let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
            let Ok(parsed) = PasswordHash::new(&stored) else {
                return Err(AppError::internal("stored password hash does not parse"));
            };
            let matches = argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            Ok(known && matches)
        })
        .await
    }

    /// Runs `work` on a hashing thread (in turn, when all are busy) and waits for it.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        use std::sync::atomic::Ordering;
        if self.queued.fetch_add(1, Ordering::SeqCst) >= self.capacity {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!("password hashing queue full: answered 503");
            return Err(AppError::Busy);
        }
        let queued = Arc::clone(&self.queued);
        let (done, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            let result = work();
            queued.fetch_sub(1, Ordering::SeqCst);
            let _ = done.send(result);
        });
        if self.jobs.send(job).is_err() {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            return Err(AppError::internal("the hashing threads have stopped"));
        }
        answer
            .await
            .map_err(|_| AppError::internal("a hashing thread stopped during a hash"))?
    }
}

/// Lowers this thread's priority, then runs jobs from `queue` until every sender is gone.
fn hashing_thread(queue: &Mutex<Receiver<Job>>) {
    lower_this_threads_priority();
    loop {
        // The lock is held only while waiting for the next job, never while running one.
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match next {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// The calling thread's ID and nice value. On Linux a thread's nice value is its own
/// (inherited from the thread that started it).
#[cfg(target_os = "linux")]
fn this_threads_nice() -> (libc::id_t, i32) {
    // SAFETY: gettid and getpriority take plain integers and touch no memory of ours.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        (tid, libc::getpriority(libc::PRIO_PROCESS, tid))
    }
}

/// `setpriority` on the calling thread's ID changes this thread only, and raising the value
/// needs no privilege. Elsewhere hashing runs at the server's own priority.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    {
        let (tid, now) = this_threads_nice();
        let lower = (now + HASHING_NICE_STEPS).min(NICEST);
        // SAFETY: setpriority takes plain integers and touches no memory of ours.
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, lower) } != 0 {
            tracing::warn!("could not lower the password hashing threads' priority");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let hasher = PasswordHasher::new(2);
        let hash = hasher.hash("Blue-Harbor-42".into()).await.expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify("Blue-Harbor-42".into(), Some(hash.clone()))
                .await
                .expect("verify")
        );
        assert!(
            !hasher
                .verify("blue-harbor-42".into(), Some(hash))
                .await
                .expect("verify")
        );
    }

    #[tokio::test]
    async fn unknown_account_never_verifies() {
        let hasher = PasswordHasher::new(1);
        assert!(!hasher.verify(String::new(), None).await.expect("verify"));
        assert!(
            !hasher
                .verify("anything".into(), None)
                .await
                .expect("verify")
        );
    }

    /// Hashing runs ten nice steps lower on its own threads; the caller's priority is
    /// untouched.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_runs_at_a_lower_priority_than_the_caller() {
        let caller = this_threads_nice().1;
        let hasher = PasswordHasher::new(2);
        for _ in 0..4 {
            let (nice, name) = hasher
                .run(|| {
                    let name = std::thread::current().name().map(str::to_owned);
                    Ok((this_threads_nice().1, name))
                })
                .await
                .expect("runs");
            assert_eq!(nice, (caller + HASHING_NICE_STEPS).min(NICEST));
            assert!(name.is_some_and(|n| n.starts_with("password-hash-")));
        }
        assert_eq!(
            this_threads_nice().1,
            caller,
            "the caller's own priority is unchanged"
        );
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let hasher = PasswordHasher::bounded(1, 3);
        let started = std::time::Instant::now();
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash("Same-Pass-1".into()).await })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("task"));
        }
        let refused = answers
            .iter()
            .filter(|a| matches!(a, Err(AppError::Busy)))
            .count();
        assert_eq!(refused, 9, "three hashed, the rest refused");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Room again once the queue has drained.
        assert!(hasher.hash("Same-Pass-1".into()).await.is_ok());
    }

    #[tokio::test]
    async fn salts_differ() {
        let hasher = PasswordHasher::new(2);
        let a = hasher.hash("Same-Pass-1".into()).await.expect("hash");
        let b = hasher.hash("Same-Pass-1".into()).await.expect("hash");
        assert_ne!(a, b);
    }
}
