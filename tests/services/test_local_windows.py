"""Fixed windows in process memory: counted like ``limits``' memory storage, ended windows
forgotten, no thread started, exact under concurrent counting."""

from __future__ import annotations

import threading

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from tokensmith.services.local_windows import LocalWindows


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_admits_its_limit_then_refuses_until_it_ends() -> None:
    clock = FakeClock()
    limiter = FixedWindowRateLimiter(LocalWindows(clock))
    three = RateLimitItemPerMinute(3)
    assert [limiter.hit(three, "cred") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(three, "other")  # each key has a window of its own
    stats = limiter.get_window_stats(three, "cred")
    assert stats.remaining == 0
    assert stats.reset_time == clock.now + 60
    clock.now += 59.9
    assert not limiter.hit(three, "cred")
    clock.now += 0.1  # the window has ended: a fresh one starts with this hit
    assert limiter.hit(three, "cred")
    assert limiter.get_window_stats(three, "cred").remaining == 2


def test_it_answers_like_limits_memory_storage() -> None:
    ours, theirs = FixedWindowRateLimiter(LocalWindows()), FixedWindowRateLimiter(MemoryStorage())
    five = RateLimitItemPerMinute(5)
    for cost in (1, 2, 1, 3, 1):
        assert ours.hit(five, "k", cost=cost) == theirs.hit(five, "k", cost=cost)
        assert ours.test(five, "k") == theirs.test(five, "k")
        assert ours.get_window_stats(five, "k").remaining == theirs.get_window_stats(five, "k").remaining
    ours.clear(five, "k")
    theirs.clear(five, "k")
    assert ours.hit(five, "k") and theirs.hit(five, "k")


def test_ended_windows_are_swept_and_no_thread_is_started() -> None:
    clock = FakeClock()
    windows = LocalWindows(clock)
    threads_before = threading.active_count()
    for index in range(LocalWindows.FIRST_SWEEP_AT):
        windows.incr(f"old-{index}", 10)
    clock.now += 11
    windows.incr("new", 10)  # past the sweep size: every ended window goes
    assert len(windows) == 1
    assert windows.get("old-0") == 0
    assert windows.get("new") == 1
    assert threading.active_count() == threads_before
    assert windows.reset() == 1
    assert len(windows) == 0


def test_concurrent_counts_are_exact() -> None:
    windows = LocalWindows()
    per_thread = 5_000

    def work() -> None:
        for _ in range(per_thread):
            windows.incr("shared", 60)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert windows.get("shared") == 6 * per_thread
