//! A password policy's requirements, ticked off as one types.

use leptos::prelude::*;

/// A password policy's rules as list items, each marked met or not, in words a screen
/// reader says too.
pub fn rule_items(rules: Vec<crate::validation::RuleCheck>) -> impl IntoView {
    rules
        .into_iter()
        .map(|r| {
            view! {
                <li class:met=r.met>
                    <span aria-hidden="true">{if r.met { "✓ " } else { "✗ " }}</span>
                    {r.label}
                    <span class="visually-hidden">{if r.met { " (met)" } else { " (not met)" }}</span>
                </li>
            }
        })
        .collect_view()
}
