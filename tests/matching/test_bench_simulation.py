"""The follow-up simulation of ``maatjes bench matching``: seeded, so the same figures on every
run, and driven by the service's own rules (switching them off changes what happens)."""

from __future__ import annotations

from matching.bench_simulation import community, simulate
from matching.learning import Rules


def test_the_simulation_is_deterministic_and_learning_changes_the_rounds() -> None:
    world = community(45, 4, seed=3)
    assert world.arrives.count(0) == 30 and max(world.arrives) == 3
    assert (world.true_fit == world.true_fit.T).all() and not world.true_fit.diagonal().any()
    learned = simulate(world, 4, rules=Rules())
    assert learned == simulate(community(45, 4, seed=3), 4, rules=Rules())
    without = simulate(world, 4, rules=Rules(enabled=False))
    assert [r["people"] for r in learned] == [r["people"] for r in without] == [30, 35, 40, 45]
    assert learned[0] == without[0], "the first round knows no answers yet"
    assert learned[1:] != without[1:], "the answers reach the next rounds"
