//! `/provider`: the queue of every room the provider serves, live; `/visit/{id}`: a visit as
//! both sides see it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::{
    BOARD_POLL_MS, Board, QueueEntry, end_visit, load_board, mark_no_show, minutes_between,
    open_visit, start_visit,
};
use crate::auth::{IdleWatch, SignedIn, current_user};
use crate::error::AppError;

/// The frame of the providers' page: brand, the way back to the users table for a Clinic
/// Admin, who is signed in and sign-out.
#[component]
fn ProviderFrame(children: Children) -> impl IntoView {
    let who = Resource::new(|| (), |_| current_user());
    provide_context(SignedIn(who));
    view! {
        <crate::admin_frame::SkipLink/>
        <header class="topbar">
            <a class="brand" href="/provider">"Frontdesk"</a>
            <crate::admin_frame::WhoBar who users_link=true/>
        </header>
        <main class="admin" id="main" tabindex="-1">{children()}</main>
        <IdleWatch/>
    }
}

#[component]
pub fn ProviderPage() -> impl IntoView {
    let first = Resource::new(|| (), |_| load_board());
    view! {
        <Title text="Patients waiting · Frontdesk"/>
        <ProviderFrame>
            <div class="page-head"><h1>"Patients waiting"</h1></div>
            <Suspense fallback=|| view! { <p class="loading">"Loading the queues…"</p> }>
                {move || first.get().map(|result| match result {
                    Ok(board) => view! { <LiveBoard first=board/> }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </ProviderFrame>
    }
}

/// What the last action did: said politely, or, when refused, as an alert.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Said {
    text: String,
    link: Option<String>,
    refused: bool,
}

/// The board and what acting on it needs, shared by its rows.
#[derive(Clone, Copy)]
struct Live {
    board: RwSignal<Board>,
    said: RwSignal<Option<Said>>,
    refresh: Callback<()>,
    /// An action is on its way: the buttons wait (a second press would be refused).
    pending: RwSignal<bool>,
}

impl Live {
    fn entry(&self, room_id: i64, visit_id: i64) -> Option<(QueueEntry, usize)> {
        self.board.with(|b| {
            let room = b.rooms.iter().find(|r| r.room_id == room_id)?;
            room.waiting
                .iter()
                .chain(room.in_visit.iter())
                .enumerate()
                .find(|(_, e)| e.visit_id == visit_id)
                .map(|(i, e)| (e.clone(), i + 1))
        })
    }

    /// Runs an action on a visit and says how it went, moving focus to what it said.
    fn act(
        &self,
        call: impl Future<Output = Result<Option<String>, AppError>> + 'static,
        done: String,
    ) {
        let live = *self;
        if live.pending.get_untracked() {
            return;
        }
        live.pending.set(true);
        leptos::task::spawn_local(async move {
            let result = call.await;
            // The page may have gone while the answer travelled: nothing below may panic.
            live.pending.try_set(false);
            let said = match result {
                Ok(link) => Said {
                    text: done,
                    link,
                    refused: false,
                },
                Err(err) => Said {
                    text: err.to_string(),
                    link: None,
                    refused: true,
                },
            };
            let target = match (&said.link, said.refused) {
                (Some(_), false) => "board-said-link",
                _ => "board-said",
            };
            if live.said.try_set(Some(said)).is_none() {
                live.refresh.try_run(());
                crate::ui::modal::focus_later(target.to_owned());
            }
        });
    }
}

#[component]
fn LiveBoard(first: Board) -> impl IntoView {
    let board = RwSignal::new(first);
    let said = RwSignal::new(None::<Said>);
    let in_flight = StoredValue::new(false);
    let refresh = Callback::new(move |()| {
        if in_flight.get_value() {
            return;
        }
        in_flight.set_value(true);
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = load_board().await {
                board.try_set(fresh);
            }
            in_flight.try_set_value(false);
        });
    });
    #[cfg(feature = "hydrate")]
    {
        let timer = gloo_timers::callback::Interval::new(BOARD_POLL_MS, move || refresh.run(()));
        let timer = StoredValue::new_local(Some(timer));
        on_cleanup(move || timer.set_value(None));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = BOARD_POLL_MS;
    let live = Live {
        board,
        said,
        refresh,
        pending: RwSignal::new(false),
    };
    let waiting = move || board.with(|b| b.rooms.iter().map(|r| r.waiting.len()).sum::<usize>());
    let room_ids = move || board.with(|b| b.rooms.iter().map(|r| r.room_id).collect::<Vec<_>>());
    view! {
        <p class="summary" role="status">{move || match waiting() {
            0 => "No one is waiting.".to_owned(),
            1 => "1 patient waiting.".to_owned(),
            n => format!("{n} patients waiting."),
        }}</p>
        <div id="board-said" tabindex="-1">
            {move || said.get().map(|s| if s.refused {
                view! { <p class="form-error" role="alert">{s.text}</p> }.into_any()
            } else {
                view! {
                    <p class="notice" role="status">
                        {s.text}" "
                        {s.link.map(|href| view! {
                            <a id="board-said-link" href=href target="_blank" rel="noopener noreferrer">"Open the visit"</a>
                        })}
                    </p>
                }.into_any()
            })}
        </div>
        {move || room_ids().is_empty().then(|| view! {
            <p class="empty">"You are not assigned to a room yet. A Clinic Admin assigns providers to rooms on the member's Rooms tab."</p>
        })}
        <For each=room_ids key=|id| *id let:room_id>
            <RoomSection live room_id/>
        </For>
    }
}

#[component]
fn RoomSection(live: Live, room_id: i64) -> impl IntoView {
    let name = live
        .board
        .with_untracked(|b| {
            b.rooms
                .iter()
                .find(|r| r.room_id == room_id)
                .map(|r| r.name.clone())
        })
        .unwrap_or_default();
    let ids = move |in_visit: bool| {
        live.board.with(|b| {
            b.rooms
                .iter()
                .find(|r| r.room_id == room_id)
                .map(|r| {
                    let list = if in_visit { &r.in_visit } else { &r.waiting };
                    list.iter().map(|e| e.visit_id).collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let waiting = Memo::new(move |_| ids(false));
    let in_visit = Memo::new(move |_| ids(true));
    let heading = format!("room-{room_id}");
    view! {
        <section class="room-queue" aria-labelledby=heading.clone()>
            <h2 id=heading.clone()>{name.clone()}</h2>
            <p class="summary">{move || match waiting.read().len() {
                0 => "No one is waiting.".to_owned(),
                1 => "1 waiting".to_owned(),
                n => format!("{n} waiting"),
            }}</p>
            <Show when=move || !waiting.read().is_empty()>
                <table class="queue">
                    <caption class="visually-hidden">{format!("Waiting in {name}")}</caption>
                    <thead><tr>
                        <th scope="col">"Place"</th>
                        <th scope="col">"Patient"</th>
                        <th scope="col">"Reason for visit"</th>
                        <th scope="col">"Waiting"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        <For each=move || waiting.get() key=|id| *id let:visit_id>
                            <WaitingRow live room_id visit_id/>
                        </For>
                    </tbody>
                </table>
            </Show>
            <Show when=move || !in_visit.read().is_empty()>
                <h3>"In a visit"</h3>
                <ul class="in-visit">
                    <For each=move || in_visit.get() key=|id| *id let:visit_id>
                        <InVisitRow live room_id visit_id/>
                    </For>
                </ul>
            </Show>
        </section>
    }
}

/// What a provider does to a visit from the board.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Act {
    Start,
    End,
    NoShow,
}

/// A button that acts on one visit, named for whom it acts on; it waits while any action is
/// on its way.
#[component]
fn ActButton(live: Live, act: Act, visit_id: i64, name: String) -> impl IntoView {
    let (label, aria) = match act {
        Act::Start => ("Start visit", format!("Start visit with {name}")),
        Act::End => ("End visit", format!("End visit with {name}")),
        Act::NoShow => ("No-show", format!("No-show: {name}")),
    };
    let on_click = move |_| {
        let done = match act {
            Act::Start => format!("Visit with {name} started."),
            Act::End => format!("Visit with {name} ended."),
            Act::NoShow => format!("{name} was marked as a no-show."),
        };
        live.act(
            async move {
                match act {
                    Act::Start => start_visit(visit_id).await.map(Some),
                    Act::End => end_visit(visit_id).await.map(|()| None),
                    Act::NoShow => mark_no_show(visit_id).await.map(|()| None),
                }
            },
            done,
        );
    };
    view! {
        <button type="button" class="button" class:primary=act != Act::NoShow on:click=on_click
            aria-disabled=move || live.pending.get().to_string() aria-label=aria>{label}</button>
    }
}

fn who(e: &QueueEntry) -> &'static str {
    if e.guest { "Guest" } else { "Member" }
}

#[component]
fn WaitingRow(live: Live, room_id: i64, visit_id: i64) -> impl IntoView {
    let entry = Memo::new(move |_| live.entry(room_id, visit_id));
    let name = entry
        .with_untracked(|e| e.as_ref().map(|(e, _)| e.name.clone()))
        .unwrap_or_default();
    let field = move |f: fn(&QueueEntry, usize, i64) -> String| {
        move || {
            let now = live.board.with(|b| b.now);
            entry.with(|e| {
                e.as_ref()
                    .map(|(e, place)| f(e, *place, now))
                    .unwrap_or_default()
            })
        }
    };
    view! {
        <tr>
            // On a phone the rows are cards without the header: each cell names itself.
            <td data-label="Place">{field(|_, place, _| place.to_string())}</td>
            <td>
                <span class="line strong">{name.clone()}</span>
                <span class="line">{field(|e, _, _| who(e).to_owned())}</span>
            </td>
            <td data-label="Reason for visit">{field(|e, _, _| e.reason.clone())}</td>
            <td data-label="Waiting">{field(|e, _, now| minutes_between(e.entered_at, now))}</td>
            <td class="actions">
                <ActButton live act=Act::Start visit_id name=name.clone()/>
                <ActButton live act=Act::NoShow visit_id name=name.clone()/>
            </td>
        </tr>
    }
}

#[component]
fn InVisitRow(live: Live, room_id: i64, visit_id: i64) -> impl IntoView {
    let entry = Memo::new(move |_| live.entry(room_id, visit_id).map(|(e, _)| e));
    let name = entry
        .with_untracked(|e| e.as_ref().map(|e| e.name.clone()))
        .unwrap_or_default();
    let line = move || {
        let now = live.board.with(|b| b.now);
        entry.with(|e| {
            e.as_ref()
                .map(|e| {
                    format!(
                        "{}, with {} for {}",
                        who(e),
                        e.provider.clone().unwrap_or_default(),
                        minutes_between(e.started_at.unwrap_or(e.entered_at), now)
                    )
                })
                .unwrap_or_default()
        })
    };
    let link = move || {
        entry
            .with(|e| e.as_ref().and_then(|e| e.link.clone()))
            .unwrap_or_default()
    };
    view! {
        <li>
            <span class="line strong">{name.clone()}</span>
            <span class="line">{line}</span>
            <span class="actions">
                <a class="button" href=link target="_blank" rel="noopener noreferrer"
                    aria-label=format!("Open the visit with {name}")>"Open visit"</a>
                <ActButton live act=Act::End visit_id name=name.clone()/>
                <ActButton live act=Act::NoShow visit_id name=name.clone()/>
            </span>
        </li>
    }
}

/// `/visit/{id}`: the visit's own page, the default visit link, for its patient and the
/// providers of its room.
#[component]
pub fn VisitPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let visit = Resource::new(id, open_visit);
    view! {
        <Title text="Visit · Frontdesk"/>
        <crate::patients::PatientCard>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || visit.get().map(|result| match result {
                    Ok(v) => {
                        let provider = v.provider.clone().unwrap_or_else(|| "Your provider".to_owned());
                        view! {
                            <p class="brand">{v.room_name.clone()}</p>
                            <h1>{if v.in_progress { "Your visit is on" } else { "This visit is over" }}</h1>
                            <p>{if v.in_progress {
                                format!("{provider} and {} are in this visit.", v.patient)
                            } else {
                                format!("{provider} saw {}.", v.patient)
                            }}</p>
                            <dl class="facts">
                                <dt>"Patient"</dt><dd>{v.patient.clone()}</dd>
                                <dt>"Provider"</dt><dd>{provider.clone()}</dd>
                                <dt>"Status"</dt><dd>{v.status.clone()}</dd>
                                {v.started_at.clone().map(|t| view! { <dt>"Started"</dt><dd>{t}</dd> })}
                                {v.ended_at.clone().map(|t| view! { <dt>"Ended"</dt><dd>{t}</dd> })}
                            </dl>
                        }.into_any()
                    }
                    Err(AppError::Unauthorized) => view! {
                        <h1>"Visit"</h1>
                        <p>"Sign in to see this visit."</p>
                        <p><a class="button primary" href="/login">"Sign in"</a></p>
                    }.into_any(),
                    Err(_) => view! {
                        <h1>"Visit"</h1>
                        <p class="form-error" role="alert">"This visit does not exist, or is not yours to see."</p>
                    }.into_any(),
                })}
            </Suspense>
        </crate::patients::PatientCard>
    }
}
