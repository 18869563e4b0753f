"""Matching measurable requirements to catalogue options: gaps, ranking, custom cost.

Pure functions over plain dicts, no database. A *requirement* is
``{metric, comparator, threshold, period, text}``; an *offer* is an option's targets as
``{metric_key: {"comparator", "threshold"}}``.

Gap (per requirement, in the metric's unit): how far the offered threshold falls short of
the required one: ``required - offered`` for ``>=``, ``offered - required`` for ``<=``, 0 when
met. An option without a target on the metric (or with the opposite comparator) promises
nothing: not met, gap None. The *normalised* gap is ``gap / max(|required|, 1)``, capped at
1; a requirement the option does not cover at all counts 1.

Ranking: options fully meeting every requirement come first, cheapest first; then the rest
by fewest misses, smallest sum of normalised gaps, then cost.

Cost model of a customer-specific service (mission rule 4: never say "no"): start from the
monthly cost of the nearest option (the first ranked), raise it by its normalised gap for
every requirement it misses (so each missed requirement adds at most 100 %), and add a fixed
``DESIGN_FEE`` a month for designing, running and reporting a service of one's own. With no
standard option at all the starting cost is ``NEW_SERVICE_BASE``. Example: nearest option
1000.00 missing resolution (8 h required, 12 h offered: normalised 0.5) gives
1000.00 * 1.5 + 250.00 = 1750.00.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import snowballstemmer

DESIGN_FEE = Decimal("250.00")
NEW_SERVICE_BASE = Decimal("1000.00")
CENT = Decimal("0.01")


#: words that say nothing about which service is meant
STOPWORDS = frozenset("""
the and for with that this from have has will must should shall can could our your their
they them who what when which where about into also very more less than most least every
all any some each other within under over around always never any not but are was were
been being its it's per day days week weeks month months year years hour hours minute
minutes time times many much good fast quick quickly slow available availability want wish
need needs would like use used uses using work works working people user users team teams
staff business service services level levels new one two first second customer customers
data centre centres including between there here then whole single point multi
""".split())
#: the same for a need written in Russian
STOPWORDS_RU = frozenset(w.replace("ё", "е") for w in """
для что это как чтобы или все всех всё при без под над про они она оно его её наш наша наше
наши нам нас вам ваш ваша ваше ваши их мне меня был была было были будет будут быть есть
нет также очень более менее каждый каждая каждое каждые любой любая другой другие всегда
никогда нужно нужна нужен нужны надо хотим хотелось хотят хочу должен должна должно
должны можно может чем тем где когда который которая которое которые только уже ещё если
день дня дней неделя недели недель месяц месяца месяцев год года лет час часа часов минута
минуты минут время раз раза много быстро быстрый медленно доступность доступности работа
работы работать люди пользователь пользователи пользователей команда команды сотрудники
сотрудников услуга услуги услуг сервис сервиса уровень уровня уровни клиент клиенты
клиента клиентов данные данных новый новая новое новые один одна одно два две первый
""".split())
#: Snowball stemmers (snowballstemmer): "incidents" meets "incident", "почты" meets "почта"
_STEMMERS = {"en": snowballstemmer.stemmer("english"), "ru": snowballstemmer.stemmer("russian")}
_CYRILLIC = re.compile("[а-яё]")


def words(text: str) -> set[str]:
    """The telling words of ``text``, English or Russian: lower case, at least 3 letters, no
    stop word of its language, reduced to its stem by that language's Snowball stemmer (so
    "incidents" meets "incident" and "почты" meets "почта")."""
    found = set()
    for word in re.findall(r"[^\W_]+", (text or "").lower().replace("ё", "е")):
        if len(word) < 3 or word.isdigit():
            continue
        russian = bool(_CYRILLIC.search(word))
        if word in (STOPWORDS_RU if russian else STOPWORDS):
            continue
        found.add(_STEMMERS["ru" if russian else "en"].stemWord(word))
    return found


def serves(need_words: set[str], service_text: str) -> bool:
    """Whether a service (its name and description) speaks of the need: a telling word in
    common, or one of at least 4 letters inside the other ("mail" and "email"). Services
    that share none are not offered at all."""
    offered = words(service_text)
    return any(n == w or (len(n) >= 4 and len(w) >= 4 and (n in w or w in n))
               for n in need_words for w in offered)


def requirement_met(comparator: str, required: float,
                    offer: dict | None) -> tuple[bool, float | None]:
    """(met, gap) of one requirement against an option's target on the same metric."""
    if offer is None or offer.get("comparator") != comparator:
        return False, None
    offered = float(offer["threshold"])
    shortfall = required - offered if comparator == ">=" else offered - required
    return shortfall <= 0, round(max(shortfall, 0.0), 6)


def normalised_gap(required: float, gap: float | None, met: bool) -> float:
    """The gap relative to the required value, in [0, 1]; an uncovered requirement counts 1."""
    if met:
        return 0.0
    if gap is None:
        return 1.0
    return min(gap / max(abs(required), 1.0), 1.0)


def evaluate(requirements: list[dict], offers: dict[str, dict]) -> list[dict]:
    """Per requirement ``{metric, comparator, required, offered, met, gap}`` for one option."""
    rows = []
    for req in requirements:
        offer = offers.get(req["metric"])
        met, gap = requirement_met(req["comparator"], float(req["threshold"]), offer)
        rows.append({"metric": req["metric"], "comparator": req["comparator"],
                     "required": req["threshold"],
                     "offered": None if offer is None else offer["threshold"],
                     "met": met, "gap": gap})
    return rows


def score(per_requirement: list[dict]) -> tuple[int, float]:
    """(misses, sum of normalised gaps) of an evaluated option: lower is nearer."""
    misses = sum(1 for r in per_requirement if not r["met"])
    total = sum(normalised_gap(float(r["required"]), r["gap"], r["met"])
                for r in per_requirement)
    return misses, round(total, 9)


def rank(options: list[dict]) -> list[dict]:
    """``options`` (each with ``per_requirement`` and ``monthly_cost``) best first.

    Sets ``fully_meets`` on each. Ties fall back to ``label`` so the order is stable.
    """
    for option in options:
        option["fully_meets"] = all(r["met"] for r in option["per_requirement"])

    def key(option):
        misses, gap = score(option["per_requirement"])
        cost = Decimal(option["monthly_cost"])
        if option["fully_meets"]:
            return (0, cost, 0, 0.0, option["label"])
        return (1, misses, gap, cost, option["label"])

    return sorted(options, key=key)


def custom_cost(nearest: dict | None) -> Decimal:
    """Estimated monthly cost of a customer-specific service (see the module docstring)."""
    if nearest is None:
        return (NEW_SERVICE_BASE + DESIGN_FEE).quantize(CENT)
    factor = Decimal(1)
    for r in nearest["per_requirement"]:
        factor += Decimal(str(normalised_gap(float(r["required"]), r["gap"], r["met"])))
    base = Decimal(nearest["monthly_cost"]) * factor
    return (base + DESIGN_FEE).quantize(CENT, rounding=ROUND_HALF_UP)


def cost_basis(nearest: dict | None) -> str:
    """In words, how ``custom_cost(nearest)`` was reached."""
    if nearest is None:
        return (f"no standard option to start from: new service base {NEW_SERVICE_BASE} "
                f"plus design fee {DESIGN_FEE} a month")
    missed = [r for r in nearest["per_requirement"] if not r["met"]]
    parts = [f"{r['metric']} +{normalised_gap(float(r['required']), r['gap'], False):.1%}"
             for r in missed]
    raised = f" raised for {', '.join(parts)}" if parts else ""
    return (f"nearest option {nearest['label']} at {nearest['monthly_cost']} a month{raised}, "
            f"plus design fee {DESIGN_FEE} a month")


def custom_option(requirements: list[dict], nearest: dict | None, label: str) -> dict:
    """The customer-specific option: meets every requirement by design, at ``custom_cost``."""
    return {
        "key": "custom", "label": label, "service_id": None, "service_key": None,
        "service": None, "option_id": None, "level": "Custom",
        "monthly_cost": str(custom_cost(nearest)), "fully_meets": True,
        "customer_specific": True, "cost_basis": cost_basis(nearest),
        "per_requirement": [
            {"metric": r["metric"], "comparator": r["comparator"], "required": r["threshold"],
             "offered": r["threshold"], "met": True, "gap": 0.0} for r in requirements],
    }


def option_list(requirements: list[dict], candidates: list[dict], custom_label: str,
                requested: int | None = None) -> list[dict]:
    """The ranked list the customer chooses from; never empty (mission rules 3 and 4).

    ``candidates`` are standard options with ``key, label, service_id, monthly_cost,
    offers`` and any other display fields; ``offers`` is replaced by ``per_requirement``.
    The levels of the ``requested`` service (by id) come first, each group ranked; when none
    fully meets the requirements, the customer-specific option comes last, costed from the
    nearest option of all.
    """
    evaluated = []
    for candidate in candidates:
        option = {k: v for k, v in candidate.items() if k != "offers"}
        option["per_requirement"] = evaluate(requirements, candidate["offers"])
        option["customer_specific"] = False
        evaluated.append(option)
    ranked = rank(evaluated)
    nearest = ranked[0] if ranked else None
    ordered = ([o for o in ranked if o.get("service_id") == requested]
               + [o for o in ranked if o.get("service_id") != requested]) \
        if requested is not None else ranked
    if nearest is None or not nearest["fully_meets"]:
        ordered.append(custom_option(requirements, nearest, custom_label))
    return ordered
