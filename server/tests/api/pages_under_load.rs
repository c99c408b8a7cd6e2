//! Every page finishes rendering while many are rendered at once. A page whose rendering
//! never completes would reach the server's deadline (20 s) and answer 503; here each
//! request is given far less than that, and every one must answer in full.

use std::time::Duration;

use futures::StreamExt;

use crate::helpers::*;

/// Requests each page list is sent, in all; `FRONTDESK_PAGE_ROUNDS` raises it when hunting
/// a rare stall.
fn rounds() -> usize {
    std::env::var("FRONTDESK_PAGE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6)
}

/// Two workers, as on a small server; with the stacks the server's own runtime has (the
/// member detail, unoptimised in test builds, renders deeper than tokio's default 2 MiB).
#[test]
fn every_page_renders_in_full_while_many_are_rendered_at_once() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(server::WORKER_STACK_BYTES)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(render_every_page_at_once());
}

async fn render_every_page_at_once() {
    let app = spawn_app_with_limits(open_limits()).await;
    let admin = app.signed_in(ADMIN_A).await;
    let patient = app.signed_in(PATIENT_A).await;
    let anyone = app.client();
    let pages: Vec<(&reqwest::Client, String)> = vec![
        (&anyone, "/".into()),
        (&anyone, "/login".into()),
        (&anyone, "/forgot-password".into()),
        (&anyone, "/reset-password?token=nope".into()),
        (&anyone, "/confirm-email?token=nope".into()),
        (&anyone, "/u/jessica".into()),
        (&anyone, "/u/jessica/guest".into()),
        (&anyone, "/u/jessica/sign-up".into()),
        (&patient, "/account".into()),
        (&admin, "/".into()),
        (&admin, "/admin/users".into()),
        (&admin, "/admin/users?q=jane&status=active".into()),
        (&admin, format!("/admin/users?member={JANE_ID}&tab=profile")),
        (&admin, format!("/admin/users?member={JANE_ID}&tab=history")),
        (&admin, "/admin/audit".into()),
        (&admin, "/admin/rooms".into()),
        (&admin, "/admin/settings".into()),
    ];
    let requests = (0..rounds()).flat_map(|_| pages.iter().cloned());
    let stalled: Vec<String> = futures::stream::iter(requests)
        .map(|(client, path)| {
            let url = app.url(&path);
            async move {
                let answer = tokio::time::timeout(Duration::from_secs(8), async {
                    let response = client.get(&url).send().await?;
                    let status = response.status();
                    let body = response.text().await?;
                    Ok::<_, reqwest::Error>((status, body))
                })
                .await;
                match answer {
                    Ok(Ok((status, body))) if status.as_u16() < 500 && body.contains("</html>") => {
                        None
                    }
                    Ok(Ok((status, _))) => Some(format!("{path}: {status} or cut short")),
                    Ok(Err(e)) => Some(format!("{path}: {e}")),
                    Err(_) => Some(format!("{path}: no answer within 8 s")),
                }
            }
        })
        .buffer_unordered(12)
        .filter_map(|failure| async move { failure })
        .collect()
        .await;
    assert!(
        stalled.is_empty(),
        "pages that did not render in full: {stalled:#?}"
    );
}
