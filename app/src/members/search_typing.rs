//! The users page's search box as the admin types: searching at the first keystroke, then
//! once typing pauses, and knowing which address changes its own searches made.

use leptos::prelude::*;

/// Typing searches at the first keystroke, then again once typing has paused this many
/// milliseconds (with what was typed meanwhile).
const SEARCH_DEBOUNCE_MS: u32 = 250;

/// Search as you type: the first keystroke after a pause searches at once; keystrokes that
/// follow it quickly wait for the next pause, which searches for what was typed by then
/// (unless that was already searched).
#[derive(Clone, Copy)]
pub(super) struct Typing {
    /// What the search box holds while typing (the address catches up with each search).
    pub(super) typed: RwSignal<Option<String>>,
    /// Bumped by each keystroke; a timer acts only if no keystroke came after it, so only
    /// the last pause in typing searches.
    generation: StoredValue<u64>,
    /// The generation last searched, while typing has not paused since; `None` once it has.
    searched: StoredValue<Option<u64>>,
    /// The texts typing searched for (the newest few): the address changing to one of them
    /// is the box's own doing.
    sent: StoredValue<Vec<String>>,
}

impl Typing {
    pub(super) fn new() -> Self {
        Self {
            typed: RwSignal::new(None),
            generation: StoredValue::new(0),
            searched: StoredValue::new(None),
            sent: StoredValue::new(Vec::new()),
        }
    }

    /// Whether typing searched for `q`.
    pub(super) fn sent_for(self, q: &str) -> bool {
        self.typed.get_untracked().is_none_or(|t| t == q)
            || self.sent.with_value(|sent| sent.iter().any(|s| s == q))
    }

    /// The address moved elsewhere: the box follows it, and no timer searches again.
    pub(super) fn forget(self) {
        self.typed.set(None);
        self.generation.update_value(|g| *g += 1);
        self.searched.set_value(None);
        self.sent.set_value(Vec::new());
    }

    fn note_sent(self, text: &str) {
        self.sent.update_value(|sent| {
            sent.push(text.to_owned());
            if sent.len() > 8 {
                sent.remove(0);
            }
        });
    }

    /// A keystroke, with what the box now holds; `search` searches for a text.
    pub(super) fn key(self, text: String, search: impl Fn(String) + Clone + 'static) {
        self.typed.set(Some(text.clone()));
        self.generation.update_value(|g| *g += 1);
        let mine = self.generation.get_value();
        if self.searched.get_value().is_none() {
            self.searched.set_value(Some(mine));
            self.note_sent(&text);
            search(text.clone());
        }
        gloo_timers::callback::Timeout::new(SEARCH_DEBOUNCE_MS, move || {
            if self.generation.get_value() != mine {
                return;
            }
            let done = self.searched.get_value() == Some(mine);
            self.searched.set_value(None);
            if !done {
                self.note_sent(&text);
                search(text);
            }
        })
        .forget();
    }

    /// The form was submitted: it searches now, and no timer still waiting searches again.
    pub(super) fn submitted(self) {
        self.generation.update_value(|g| *g += 1);
        self.searched.set_value(None);
    }
}
