//! `utest=deadlock`: the kernel names a deadlock only when nothing can end
//! it. The root task starts a child that receives on an endpoint nobody
//! calls, first waits with a deadline (the CPU idles until it passes, which
//! is no deadlock), then waits with no deadline on a notification no
//! interrupt line is bound to. Nothing can wake either environment: the
//! kernel prints its deadlock report (checked by the harness, which then
//! stops the machine) and never returns.

use abi::Error;
use exo_rt::calls::WAIT_FOREVER;
use exo_rt::ipc::recv;
use exo_rt::{exit, println, wait, StartArgs};

use super::child;
use crate::check::{Ctx, Outcome};

/// The child's endpoint: slot 3 (what its parent gave).
const CHILD_EP: u32 = 3;

/// Receives on its slot 3, which nobody calls.
fn receiver(_arg: u64) -> ! {
    let _ = recv(CHILD_EP);
    exit(1)
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    let (ntf, ep) = child::notification_and_endpoint(t, args)?;
    let _c = child::start(t, args, 0, Some(ep), None, receiver, 0)?;
    // Both blocked, but a deadline can still pass: the kernel idles.
    t.err("wait 100 ms", wait(ntf, 100_000), Error::TimedOut)?;
    println!("utest deadlock: the timed wait ended; now waiting for ever");
    let r = wait(ntf, WAIT_FOREVER);
    Err(t.fail(format_args!("the endless wait returned {r:?}")))
}
