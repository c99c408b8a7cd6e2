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
pub fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(server::WORKER_STACK_BYTES)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn every_page_renders_in_full_while_many_are_rendered_at_once() {
    server_runtime().block_on(async {
        let app = spawn_app_with_limits(open_limits()).await;
        let stalled = render_every_page_at_once(&app).await;
        assert!(
            stalled.is_empty(),
            "pages that did not render in full: {stalled:#?}"
        );
    });
}

/// Another server starting in the same process (as each API test's does) builds its
/// router while this one's pages render. Listing the app's pages for a router stops
/// resources loading process-wide while it runs; pages that began loading meanwhile used
/// to wait forever and answer 503 at the deadline.
#[test]
fn pages_render_in_full_while_another_server_starts_beside_them() {
    server_runtime().block_on(async {
        let app = std::sync::Arc::new(spawn_app_with_limits(open_limits()).await);
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let builder = {
            let (app, done) = (app.clone(), done.clone());
            tokio::task::spawn_blocking(move || {
                let mut built = 0_u32;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    drop(app.another_router());
                    built += 1;
                    // Room for the pages' own work on a busy machine.
                    std::thread::sleep(Duration::from_millis(5));
                }
                built
            })
        };
        let stalled = render_every_page_at_once(&app).await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let built = builder.await.expect("router builder");
        assert!(built > 0, "no router was built while the pages rendered");
        assert!(
            stalled.is_empty(),
            "pages that did not render in full while {built} routers were built: {stalled:#?}"
        );
    });
}

/// Renders every page [`rounds`] times, 12 at once; returns those that did not answer in
/// full within 8 s.
async fn render_every_page_at_once(app: &TestApp) -> Vec<String> {
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
    futures::stream::iter(requests)
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
        .await
}
