//! A per-request batching loader whose batches follow the query's shape, not the clock.
//!
//! Why not async-graphql's `DataLoader`: it collects keys for a fixed delay, so a list
//! resolved more slowly than the delay (a busy machine, a debug build) splits into several
//! batches, and the statements a query costs stop depending on its shape alone (the
//! `n_plus_one` tests count them). Here the first key of a batch (the leader) yields to the
//! scheduler until a pass adds no key: every sibling field of the request's task registers
//! its key meanwhile, then the leader loads them all in one call and wakes the others.
//! Keys already being fetched wait for that fetch; a failed fetch is not cached; a leader
//! dropped before fetching hands its batch back (see the tests at the end).

use std::{
    collections::{HashMap, HashSet},
    hash::Hash,
    sync::{Arc, Mutex},
};

use futures::future::BoxFuture;
use tokio::sync::watch;

use super::loaders::LoadError;

/// Bounds the wait for siblings; in practice two or three passes see them all.
const MAX_COLLECTING_PASSES: usize = 16;

type Fetched<K, V> = Result<Arc<HashMap<K, V>>, LoadError>;
type Fetch<K, V> =
    Arc<dyn Fn(Vec<K>) -> BoxFuture<'static, Result<HashMap<K, V>, LoadError>> + Send + Sync>;

struct Batch<K, V> {
    keys: HashSet<K>,
    done: watch::Receiver<Option<Fetched<K, V>>>,
}

struct Inner<K, V> {
    cache: HashMap<K, Option<V>>,
    collecting: Option<(u64, Batch<K, V>)>,
    /// Keys being fetched now: a later request for one waits for that fetch.
    in_flight: HashMap<K, watch::Receiver<Option<Fetched<K, V>>>>,
    next_batch: u64,
}

pub struct BatchLoader<K, V> {
    fetch: Fetch<K, V>,
    inner: Arc<Mutex<Inner<K, V>>>,
}

/// Clears the batch if its leader is dropped before loading it, so followers retry.
struct LeaderGuard<K, V> {
    inner: Arc<Mutex<Inner<K, V>>>,
    batch: u64,
}

impl<K, V> Drop for LeaderGuard<K, V> {
    fn drop(&mut self) {
        let mut inner = self.inner.lock().expect("loader poisoned");
        if inner
            .collecting
            .as_ref()
            .is_some_and(|(id, _)| *id == self.batch)
        {
            inner.collecting = None;
        }
    }
}

impl<K, V> BatchLoader<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub fn new<F>(fetch: F) -> Self
    where
        F: Fn(Vec<K>) -> BoxFuture<'static, Result<HashMap<K, V>, LoadError>>
            + Send
            + Sync
            + 'static,
    {
        Self {
            fetch: Arc::new(fetch),
            inner: Arc::new(Mutex::new(Inner {
                cache: HashMap::new(),
                collecting: None,
                in_flight: HashMap::new(),
                next_batch: 0,
            })),
        }
    }

    pub async fn load_one(&self, key: K) -> Result<Option<V>, LoadError> {
        loop {
            let role = {
                let mut inner = self.inner.lock().expect("loader poisoned");
                if let Some(hit) = inner.cache.get(&key) {
                    return Ok(hit.clone());
                }
                if let Some(done) = inner.in_flight.get(&key) {
                    Err(done.clone())
                } else {
                    match &mut inner.collecting {
                        Some((_, batch)) => {
                            batch.keys.insert(key.clone());
                            Err(batch.done.clone())
                        }
                        None => {
                            let (sender, receiver) = watch::channel(None);
                            let id = inner.next_batch;
                            inner.next_batch += 1;
                            inner.collecting = Some((
                                id,
                                Batch {
                                    keys: HashSet::from([key.clone()]),
                                    done: receiver,
                                },
                            ));
                            Ok((id, sender))
                        }
                    }
                }
            };
            let fetched = match role {
                Ok((id, sender)) => self.lead(id, sender).await,
                // Unconstrained: tokio's cooperative budget would otherwise hold some of
                // many followers back a pass, and they would miss the next batch.
                Err(mut done) => {
                    match tokio::task::unconstrained(done.wait_for(Option::is_some)).await {
                        Ok(fetched) => fetched.clone().expect("waited for a result"),
                        // The leader was dropped before loading: start over.
                        Err(_) => continue,
                    }
                }
            };
            return fetched.map(|values| values.get(&key).cloned());
        }
    }

    async fn lead(&self, id: u64, sender: watch::Sender<Option<Fetched<K, V>>>) -> Fetched<K, V> {
        let guard = LeaderGuard {
            inner: self.inner.clone(),
            batch: id,
        };
        // Passes of the scheduler until two in a row add no key: siblings register meanwhile.
        // (One quiet pass is not proof: `FuturesUnordered` may stop a pass half-way.)
        let (mut registered, mut quiet) = (0, 0);
        for _ in 0..MAX_COLLECTING_PASSES {
            tokio::task::yield_now().await;
            let now = self
                .inner
                .lock()
                .expect("loader poisoned")
                .collecting
                .as_ref()
                .map_or(0, |(_, b)| b.keys.len());
            quiet = if now == registered { quiet + 1 } else { 0 };
            if quiet == 2 {
                break;
            }
            registered = now;
        }
        let keys: Vec<K> = {
            let mut inner = self.inner.lock().expect("loader poisoned");
            let keys: Vec<K> = inner
                .collecting
                .take()
                .map(|(_, batch)| batch.keys.into_iter().collect())
                .unwrap_or_default();
            let done = sender.subscribe();
            for key in &keys {
                inner.in_flight.insert(key.clone(), done.clone());
            }
            keys
        };
        drop(guard);
        let fetched = (self.fetch)(keys.clone()).await.map(Arc::new);
        {
            let mut inner = self.inner.lock().expect("loader poisoned");
            for key in keys {
                inner.in_flight.remove(&key);
                if let Ok(values) = &fetched {
                    let value = values.get(&key).cloned();
                    inner.cache.insert(key, value);
                }
            }
        }
        let _ = sender.send(Some(fetched.clone()));
        fetched
    }

    /// Remembers rows a list already returned, so loading them by key costs nothing.
    pub fn prime(&self, values: impl IntoIterator<Item = (K, V)>) {
        let mut inner = self.inner.lock().expect("loader poisoned");
        for (key, value) in values {
            inner.cache.entry(key).or_insert(Some(value));
        }
    }

    pub async fn load_many(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<HashMap<K, V>, LoadError> {
        let keys: Vec<K> = keys.into_iter().collect();
        let values =
            futures::future::try_join_all(keys.iter().cloned().map(|key| self.load_one(key)))
                .await?;
        Ok(keys
            .into_iter()
            .zip(values)
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::error::ServiceError;

    /// A loader of `key * 10` that records each fetch's keys; keys over 100 fail.
    fn loader(fetches: Arc<Mutex<Vec<Vec<u32>>>>, delay: Duration) -> Arc<BatchLoader<u32, u32>> {
        Arc::new(BatchLoader::new(move |keys: Vec<u32>| {
            let fetches = fetches.clone();
            Box::pin(async move {
                let mut sorted = keys.clone();
                sorted.sort();
                fetches.lock().unwrap().push(sorted);
                tokio::time::sleep(delay).await;
                if keys.iter().any(|k| *k > 100) {
                    return Err(LoadError::from(ServiceError::Forbidden));
                }
                Ok(keys.into_iter().map(|k| (k, k * 10)).collect())
            })
        }))
    }

    use std::time::Duration;

    #[tokio::test]
    async fn siblings_load_in_one_fetch_whatever_the_clock() {
        let fetches = Arc::new(Mutex::new(Vec::new()));
        let loader = loader(fetches.clone(), Duration::from_millis(5));
        // As a list's fields resolve: concurrently, in one task.
        let values = futures::future::join_all((1..=50).map(|k| loader.load_one(k))).await;
        assert!(values.iter().all(|v| v.is_ok()));
        assert_eq!(values[9].as_ref().unwrap(), &Some(100));
        assert_eq!(*fetches.lock().unwrap(), vec![(1..=50).collect::<Vec<_>>()]);
    }

    #[tokio::test]
    async fn loaded_and_primed_keys_are_not_fetched_again() {
        let fetches = Arc::new(Mutex::new(Vec::new()));
        let loader = loader(fetches.clone(), Duration::ZERO);
        loader.prime([(7, 70)]);
        assert_eq!(loader.load_one(7).await.unwrap(), Some(70));
        assert_eq!(loader.load_one(3).await.unwrap(), Some(30));
        assert_eq!(loader.load_many([3, 7]).await.unwrap().len(), 2);
        assert_eq!(*fetches.lock().unwrap(), vec![vec![3]]);
    }

    #[tokio::test]
    async fn a_key_being_fetched_waits_for_that_fetch() {
        let fetches = Arc::new(Mutex::new(Vec::new()));
        let loader = loader(fetches.clone(), Duration::from_millis(50));
        let first = tokio::spawn({
            let loader = loader.clone();
            async move { loader.load_one(1).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // Asked while its fetch is under way: no second fetch.
        assert_eq!(loader.load_one(1).await.unwrap(), Some(10));
        assert_eq!(first.await.unwrap().unwrap(), Some(10));
        assert_eq!(fetches.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_failed_fetch_fails_its_batch_and_is_not_cached() {
        let fetches = Arc::new(Mutex::new(Vec::new()));
        let loader = loader(fetches.clone(), Duration::ZERO);
        let (a, b) = tokio::join!(loader.load_one(1), loader.load_one(101));
        assert!(a.is_err() && b.is_err(), "one batch, one failure");
        assert_eq!(loader.load_one(1).await.unwrap(), Some(10), "retried");
        assert_eq!(fetches.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn followers_of_a_cancelled_leader_load_anyway() {
        let calls = Arc::new(AtomicUsize::new(0));
        let loader = Arc::new(BatchLoader::new({
            let calls = calls.clone();
            move |keys: Vec<u32>| {
                calls.fetch_add(1, Ordering::SeqCst);
                Box::pin(async move { Ok(keys.into_iter().map(|k| (k, k)).collect()) })
            }
        }));
        // The leader is dropped while it collects siblings, before it fetches.
        let leader = tokio::spawn({
            let loader = loader.clone();
            async move { loader.load_one(1).await }
        });
        let follower = tokio::spawn({
            let loader = loader.clone();
            async move { loader.load_one(2).await }
        });
        leader.abort();
        assert_eq!(follower.await.unwrap().unwrap(), Some(2));
        assert!(calls.load(Ordering::SeqCst) >= 1);
    }
}
