//! Renditions served recently, kept in memory up to a byte budget, least recently used out
//! first. Keyed by the rendition's tag (image id and canonical variant): an image's bytes
//! never change, so an entry is never stale. A deleted image's entries are unreachable, as
//! serving checks the image's row first, and age out.

use std::sync::{Arc, Mutex};

use lru::LruCache;

use super::Rendition;

pub(crate) struct RenditionCache {
    inner: Mutex<Entries>,
    budget_bytes: usize,
}

struct Entries {
    lru: LruCache<String, Arc<Rendition>>,
    bytes: usize,
}

impl RenditionCache {
    pub(crate) fn new(budget_bytes: usize) -> Self {
        RenditionCache {
            inner: Mutex::new(Entries {
                lru: LruCache::unbounded(),
                bytes: 0,
            }),
            budget_bytes,
        }
    }

    pub(crate) fn get(&self, tag: &str) -> Option<Arc<Rendition>> {
        let mut entries = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        entries.lru.get(tag).cloned()
    }

    pub(crate) fn put(&self, rendition: Arc<Rendition>) {
        let size = rendition.bytes.len();
        if size > self.budget_bytes / 4 {
            return;
        }
        let mut entries = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = entries.lru.put(rendition.tag.clone(), rendition) {
            entries.bytes -= old.bytes.len();
        }
        entries.bytes += size;
        while entries.bytes > self.budget_bytes {
            match entries.lru.pop_lru() {
                Some((_, evicted)) => entries.bytes -= evicted.bytes.len(),
                None => break,
            }
        }
    }
}
