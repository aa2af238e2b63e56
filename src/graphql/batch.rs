//! A per-request batching loader whose batches follow the query's shape, not the clock.
//!
//! async-graphql's `DataLoader` collects keys for a fixed delay, so a list resolved more
//! slowly than the delay (a busy machine, a debug build) splits into several batches.
//! Here the first key of a batch (the leader) yields to the scheduler until a pass adds no
//! key: every sibling field of the request's task registers its key meanwhile, then the
//! leader loads them all in one call and wakes the others.

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
