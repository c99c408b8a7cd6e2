//! What the member detail's modal shares with its tabs: the member as last loaded or
//! saved, and what a save or a conflict sets off.

use leptos::prelude::*;

use super::types::MemberDetail;

/// What the modal shares with its tabs.
#[derive(Clone, Copy)]
pub(super) struct Shared {
    /// The member as last loaded or saved.
    pub(super) detail: RwSignal<Option<MemberDetail>>,
    /// Bumped after every save: the history reloads and the users table refreshes.
    pub(super) saves: RwSignal<u32>,
    pub(super) on_changed: Callback<()>,
    /// Loads the member again (after a conflict).
    pub(super) reload: Callback<()>,
    /// Where "Disable And Remove Log In Detail" leads: the delete confirmation.
    pub(super) delete_url: StoredValue<String>,
}

impl Shared {
    pub(super) fn saved(&self, detail: MemberDetail) {
        self.detail.set(Some(detail));
        self.saves.update(|n| *n += 1);
        self.on_changed.run(());
    }
}
