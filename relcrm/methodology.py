"""The selling methodology relcrm encodes, as data.

Everything the program knows about relationship selling lives here as tables: the seven
relationship stages and their touch cadences, qualification criteria and levels, SPIN call
outcomes and note kinds, touch kinds. Validation, help text, completion and the follow-up rules
all read these tables; nothing else in the code spells a stage or an outcome out.

See ../shared/domain.md for the source of each table. This module imports nothing heavy.
"""

from __future__ import annotations

from typing import NamedTuple

from .errors import UsageError
from .i18n import N_, _, named
from .text import fold


class Stage(NamedTuple):
    number: int  # 1..7; 0 for the "lost" end state
    key: str
    name: str
    vietnamese: str
    cadence_days: int | None  # how often a relationship at this stage needs a touch
    hint: str


STAGES: tuple[Stage, ...] = (
    Stage(1, "attract", "Attract", "Thu hút", 3,
          N_("first contacts; catch their interest and contact them at once")),
    Stage(2, "establish", "Establish", "Thiết lập", 7,
          N_("first conversations; learn their situation and needs")),
    Stage(3, "build", "Build", "Tạo dựng", 10,
          N_("build trust: keep every promise, answer fast")),
    Stage(4, "develop", "Develop", "Phát triển", 14,
          N_("widen the relationship: more people, more needs met")),
    Stage(5, "maintain", "Maintain", "Duy trì", 30,
          N_("a customer now; keep care from thinning out")),
    Stage(6, "consolidate", "Consolidate", "Củng cố", 45,
          N_("deepen the bond: value, social ties, relationship pricing")),
    Stage(7, "loyal", "Loyal", "Trung thành", 60,
          N_("a loyal customer; greet their occasions, ask for referrals")),
)
LOST = Stage(0, "lost", "Lost", "Đổ vỡ", None, N_("the relationship ended; it can be reopened"))
ALL_STAGES: tuple[Stage, ...] = STAGES + (LOST,)
STAGE_BY_KEY: dict[str, Stage] = {s.key: s for s in ALL_STAGES}
FIRST_STAGE = STAGES[0]


def resolve_stage(text: str) -> Stage:
    """A stage from its number (1-7), key, English or Vietnamese name (any case, accents
    optional)."""
    wanted = fold(text)
    for stage in ALL_STAGES:
        if wanted in {str(stage.number) if stage.number else "", stage.key,
                      fold(stage.name), fold(stage.vietnamese)}:
            return stage
    raise UsageError(_("unknown stage {text!r}; use a number 1-7 or one of: {keys}").format(
        text=text, keys=", ".join(s.key for s in ALL_STAGES)))


def next_stage(stage: Stage) -> Stage | None:
    """The stage after `stage`, or None at Loyal (and for Lost)."""
    if stage is LOST or stage.number >= len(STAGES):
        return None
    return STAGES[stage.number]


# -- Qualification (domain.md §2) ------------------------------------------------------------
class Criterion(NamedTuple):
    key: str
    name: str
    vietnamese: str
    question: str


CRITERIA: tuple[Criterion, ...] = (
    Criterion("need", "Need", "nhu cầu", N_("do they need what we sell?")),
    Criterion("budget", "Budget", "khả năng tài chính", N_("can they pay for it?")),
    Criterion("authority", "Authority", "quyền quyết định",
              N_("does the person we talk to decide?")),
)
LEVELS: tuple[str, ...] = ("yes", "partial", "no", "unknown")


def criterion_shown(key: str) -> str:
    """A criterion as people read it: the key a seller types in English (budget), its
    Vietnamese name in Vietnamese (khả năng tài chính)."""
    from .i18n import current

    found = next((c for c in CRITERIA if c.key == key), None)
    return found.vietnamese if found is not None and current() == "vi" else key


def levels_shown(pairs: "list[tuple[str, str | None]]") -> str:
    """Judgements as people read them: `need yes, budget partial` in English (the keys and
    levels a seller types); `nhu cầu: có, khả năng tài chính: một phần` in Vietnamese."""
    from .i18n import current, dynamic

    if current() == "vi":
        return ", ".join(f"{criterion_shown(key)}: {dynamic(level or 'unknown')}"
                         for key, level in pairs)
    return ", ".join(f"{key} {level or 'unknown'}" for key, level in pairs)
QUALIFIED, DISQUALIFIED, OPEN = "qualified", "disqualified", "open"
CUSTOMER = "customer"  # a won deal or an order: need, budget and authority proved
STATUSES: tuple[str, ...] = (QUALIFIED, OPEN, DISQUALIFIED, CUSTOMER)


def qualification_status(levels: dict[str, str | None],
                         customer: bool = False) -> tuple[str, list[str]]:
    """Status from the current level of each criterion, and the criteria not yet a yes.

    customer: they (or their account) have a won deal or an order, which proves need, budget
    and authority; qualified: all yes; disqualified: any no (a phantom prospect, "tiềm năng
    ảo"); else open.
    """
    if customer:
        return CUSTOMER, []
    current = {c.key: (levels.get(c.key) or "unknown") for c in CRITERIA}
    missing = [key for key, level in current.items() if level != "yes"]
    if any(level == "no" for level in current.values()):
        return DISQUALIFIED, missing
    return (QUALIFIED if not missing else OPEN), missing


# -- Touches and SPIN calls (domain.md §3) -----------------------------------------------------
TOUCH_KINDS: tuple[str, ...] = (
    "call", "meeting", "email", "message", "visit", "letter", "gift", "event", "note",
)
# Kinds that record something about the prospect without reaching them. A note does not
# count as contact: it does not reset the cadence (and, like any touch, closes no step).
NON_CONTACT_KINDS: frozenset[str] = frozenset({"note"})

# What a planned step is (relcrm step add --kind). A step with a time of day is an appointment.
STEP_KINDS: tuple[str, ...] = ("call", "meeting", "visit", "demo", "email", "message", "todo")
DEFAULT_STEP_KIND = "todo"
APPOINTMENT_MINUTES = 60  # an appointment's length in calendars when none is given
ASK_DONE_DAYS = 7  # on a terminal, log/call ask about an open step due within this many days


class Outcome(NamedTuple):
    key: str
    meaning: str
    needs_commitment: bool


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("order", N_("the customer placed an order"), True),
    Outcome("advance", N_("the customer committed to a step that moves the sale forward"), True),
    Outcome("continuation", N_("talks go on, but nothing was committed"), False),
    Outcome("no-sale", N_("the customer declined"), False),
)
OUTCOME_BY_KEY: dict[str, Outcome] = {o.key: o for o in OUTCOMES}
# The kinds and outcomes as shown to a person (i18n.dynamic(kind) where they are shown): here for
# the catalog; the keys above are stored and stay as they are.
_SHOWN = (N_("call"), N_("meeting"), N_("email"), N_("message"), N_("visit"), N_("letter"),
          N_("gift"), N_("event"), N_("note"), N_("demo"), N_("todo"), N_("order"),
          N_("advance"), N_("continuation"), N_("no-sale"))
STALLED_AFTER = 2  # continuations in a row without an advance or order (Rackham)


class SpinKind(NamedTuple):
    key: str  # the column/note kind
    option: str  # the command-line flag, without dashes
    label: str
    vietnamese: str
    hint: str


SPIN_KINDS: tuple[SpinKind, ...] = (
    SpinKind("situation", "situation", "Situation", "câu hỏi tình huống",
             N_("their current state: people, processes, suppliers, volumes")),
    SpinKind("problem", "problem", "Problem", "câu hỏi về vấn đề",
             N_("difficulties and dissatisfactions they have")),
    SpinKind("implication", "implication", "Implication", "câu hỏi ẩn / hệ quả",
             N_("the effects and consequences of those problems")),
    SpinKind("need_payoff", "need-payoff", "Need-payoff", "câu hỏi về kết quả của nhu cầu",
             N_("the value to them of solving the problems")),
    SpinKind("implied_need", "implied-need", "Implied need", "nhu cầu ẩn",
             N_("a problem the customer stated")),
    SpinKind("explicit_need", "explicit-need", "Explicit need", "nhu cầu lộ",
             N_("a want the customer stated, which our product meets")),
)
SPIN_BY_KEY: dict[str, SpinKind] = {k.key: k for k in SPIN_KINDS}

# The four steps of a key-account sales call (seed 004), shown by the interactive `call`.
CALL_STEPS: tuple[tuple[str, str], ...] = (
    (N_("Preliminaries (sơ khởi)"), N_("who you are, why you came, permission to ask")),
    (N_("Investigating (điều tra)"), N_("SPIN questions turn implied needs into explicit needs")),
    (N_("Demonstrating capability (biểu diễn khả năng)"),
     N_("show benefits tied to explicit needs only; solutions offered too early draw objections")),
    (N_("Obtaining commitment (gài cam kết)"),
     N_("check the key points, summarise benefits, propose a commitment: a demonstration, "
     "a trial, a meeting with a higher decision-maker, an order")),
)


# -- Key accounts (domain.md §4, seed 004 chương 6) ---------------------------------------------
class KamStage(NamedTuple):
    number: int
    key: str
    name: str
    vietnamese: str
    cadence_days: int | None  # how often someone at a key account needs a touch
    hint: str


# Millman & Wilson's relationship development model, the key-account stages. Contact grows as
# the relationship deepens (mid-KAM: "Số lượng và thời gian các cuộc tiếp xúc tăng cao";
# partnership-KAM: "các cuộc tiếp xúc giữa hai bên cũng được tăng lên"), so the cadences shorten
# from pre- to partnership-KAM and never lengthen after it. The day counts are relcrm's
# defaults (`relcrm config cadence.mid 7` changes one).
KAM_STAGES: tuple[KamStage, ...] = (
    KamStage(1, "pre", "Pre-KAM", "trước CKL", 21,
             N_("find out whether they could become key; serve them and gather information")),
    KamStage(2, "early", "Early-KAM", "đầu CKL", 14,
             N_("explore: their motives, decision-making unit and process; build trust")),
    KamStage(3, "mid", "Mid-KAM", "giữa CKL", 10,
             N_("trust is there: a preferred supplier; more contacts, closer ties")),
    KamStage(4, "partnership", "Partnership-KAM", "liên kết CKL", 7,
             N_("solve problems together, develop products and people together")),
    KamStage(5, "synergistic", "Synergistic-KAM", "cộng hưởng CKL", 7,
             N_("one larger whole: joint plans, shared research, costs taken out")),
)
UNCOUPLING = KamStage(0, "uncoupling", "Uncoupling-KAM", "đổ vỡ CKL", None,
                      N_("the relationship broke down: find out why (people changed, trust lost)"))
ALL_KAM_STAGES: tuple[KamStage, ...] = KAM_STAGES + (UNCOUPLING,)
KAM_BY_KEY: dict[str, KamStage] = {s.key: s for s in ALL_KAM_STAGES}
FIRST_KAM = KAM_STAGES[0]


def resolve_kam(text: str) -> KamStage:
    """A KAM stage from its number, key or name (pre, Early-KAM, "giữa", 3 ...)."""
    wanted = fold(text).replace("-kam", "").replace(" kam", "").replace(" ckl", "").strip()
    for stage in ALL_KAM_STAGES:
        names = {stage.key, fold(stage.name).replace("-kam", ""),
                 fold(stage.vietnamese).replace(" ckl", "")}
        if stage.number:
            names.add(str(stage.number))
        if wanted in names:
            return stage
    raise UsageError(_("unknown key-account stage {text!r}; use one of: {keys}").format(
        text=text, keys=", ".join(s.key for s in ALL_KAM_STAGES)))


def next_kam(stage: KamStage) -> KamStage | None:
    if stage is UNCOUPLING or stage.number >= len(KAM_STAGES):
        return None
    return KAM_STAGES[stage.number]


class Role(NamedTuple):
    key: str
    name: str
    vietnamese: str
    meaning: str


# The decision-making unit (đơn vị quyết định): six roles; a person may hold several.
ROLES: tuple[Role, ...] = (
    Role("initiator", "Initiator", "người khởi xướng", N_("starts the buying process")),
    Role("user", "User", "người sử dụng", N_("uses the product")),
    Role("decider", "Decider", "người quyết định", N_("chooses the product and the supplier")),
    Role("influencer", "Influencer", "người gây ảnh hưởng",
         N_("supplies information and decision rules")),
    Role("buyer", "Buyer", "người mua", N_("arranges the contract")),
    Role("gatekeeper", "Gatekeeper", "người giữ cửa",
         N_("controls the flow of information to the others")),
)
ROLE_BY_KEY: dict[str, Role] = {r.key: r for r in ROLES}
DECIDER = "decider"
DECIDER_QUIET_DAYS = 30  # account show flags a decider not touched for longer


def resolve_role(text: str) -> Role:
    wanted = fold(text)
    for role in ROLES:
        if wanted in (role.key, fold(role.name), fold(role.vietnamese)):
            return role
    raise UsageError(_("unknown role {text!r}; use: {keys}").format(
        text=text, keys=", ".join(r.key for r in ROLES)))


BUY_CLASSES: tuple[tuple[str, str, str], ...] = (
    ("straight-rebuy", "Straight rebuy", "mua lại như cũ"),
    ("modified-rebuy", "Modified rebuy", "mua lại có thay đổi"),
    ("new-task", "New task", "mua mới"),
)


class ChoiceCriterion(NamedTuple):
    key: str
    kind: str  # economic or emotional
    name: str
    vietnamese: str


# What the customer judges suppliers on (quy tắc lựa chọn nhà cung cấp).
CHOICE_CRITERIA: tuple[ChoiceCriterion, ...] = tuple(
    ChoiceCriterion(key, kind, name, vn) for kind, items in (
        ("economic", (("price", "Price", "giá cả"), ("delivery", "Delivery", "giao hàng"),
                      ("productivity", "Productivity: cost against profit",
                       "năng suất - chi phí so với lợi nhuận"),
                      ("life-cycle-cost", "Life-cycle cost", "chi phí chu kỳ tồn tại"),
                      ("reliability", "Reliability", "độ tin cậy"),
                      ("durability", "Durability", "độ lâu bền"),
                      ("upgradability", "Upgradability", "tính năng nâng cấp"),
                      ("technical-support", "Technical support", "yểm trợ kỹ thuật"),
                      ("commercial-support", "Commercial support", "yểm trợ thương mại"),
                      ("safety", "Safety", "an toàn"))),
        ("emotional", (("reputation", "Reputation", "uy tín"),
                       ("personal-risk", "Lower personal risk", "giảm rủi ro cá nhân"),
                       ("office-politics", "Office politics", "chính trị văn phòng"),
                       ("quiet-life", "Quiet life", "cuộc sống yên tĩnh"),
                       ("enjoyment", "Enjoyment", "sự thích thú"),
                       ("reciprocity", "Reciprocity", "tính qua lại"),
                       ("confidence", "Confidence", "sự tự tin"),
                       ("convenience", "Convenience", "sự thuận lợi"))))
    for key, name, vn in items)
CHOICE_BY_KEY: dict[str, ChoiceCriterion] = {c.key: c for c in CHOICE_CRITERIA}


def resolve_choice(text: str) -> ChoiceCriterion:
    wanted = fold(text).replace(" ", "-")
    for criterion in CHOICE_CRITERIA:
        if wanted in (criterion.key, fold(criterion.name).replace(" ", "-"),
                      fold(criterion.vietnamese).replace(" ", "-")):
            return criterion
    raise UsageError(_("unknown criterion {text!r}; economic: {economic}; emotional: "
                       "{emotional}").format(
        text=text,
        economic=", ".join(c.key for c in CHOICE_CRITERIA if c.kind == "economic"),
        emotional=", ".join(c.key for c in CHOICE_CRITERIA if c.kind == "emotional")))


PARETO_SHARE = 0.8  # "about 80% of sales": the accounts that together make this share


# -- Deals: where the customer is in their buying process (seed 004, domain.md §4) -------------
class BuyingStage(NamedTuple):
    number: int
    key: str
    name: str
    vietnamese: str  # the seed's words ("Quy trình quyết định mua của khách hàng lớn")
    probability: int  # relcrm's default chance (%) that a deal here is won (config
    # deal.probability.KEY changes it): the pipeline's weighted value
    hint: str


# The decision process of a business customer (seed 004, slide 6): a deal's stage is where the
# *customer* is, not what the seller did.
BUYING_STAGES: tuple[BuyingStage, ...] = (
    BuyingStage(1, "need", "Need recognition", "Nhận biết nhu cầu", 10,
                N_("they see a problem or a need; SPIN turns it into an explicit need")),
    BuyingStage(2, "specification", "Specification", "Xác định quy cách, số lượng", 20,
                N_("they define what they need, how much, to what standard")),
    BuyingStage(3, "search", "Supplier search", "Tìm kiếm nguồn cung cấp", 30,
                N_("they look for suppliers: be on their list")),
    BuyingStage(4, "proposals", "Proposals", "Tiếp nhận và phân tích đề nghị", 50,
                N_("they receive and analyse proposals")),
    BuyingStage(5, "evaluation", "Evaluation and choice", "Đánh giá và lựa chọn nhà cung cấp",
                70, N_("they weigh proposals against their choice criteria and choose")),
    BuyingStage(6, "order", "Order routine", "Lựa chọn cách thức đặt hàng", 90,
                N_("they settle how to order: terms, delivery, paperwork")),
    BuyingStage(7, "feedback", "Performance feedback", "Phản hồi và đánh giá", 100,
                N_("they judge how the supplier performed; the next purchase starts here")),
)
BUYING_BY_KEY: dict[str, BuyingStage] = {s.key: s for s in BUYING_STAGES}
FIRST_BUYING = BUYING_STAGES[0]
DEAL_STATUSES: tuple[str, ...] = ("open", "won", "lost")


def resolve_buying(text: str) -> BuyingStage:
    """A buying stage from its number, key, English or Vietnamese name (accents optional)."""
    wanted = fold(text).replace("-", " ")
    for stage in BUYING_STAGES:
        names = {stage.key, str(stage.number), fold(stage.name), fold(stage.vietnamese),
                 fold(stage.name).split(" ")[0]}
        if wanted in names:
            return stage
    raise UsageError(_("unknown buying stage {text!r}; use one of: {keys}").format(
        text=text, keys=", ".join(f"{s.key} ({named(s)})" for s in BUYING_STAGES)))


class LostReason(NamedTuple):
    key: str
    name: str
    vietnamese: str


# Why a deal was lost: the reasons a seller states, for the review's count of them.
LOST_REASONS: tuple[LostReason, ...] = (
    LostReason("price", "Price", "giá"),
    LostReason("competitor", "Competitor", "đối thủ cạnh tranh"),
    LostReason("no-budget", "No budget", "không có ngân sách"),
    LostReason("no-decision", "No decision", "không ra quyết định"),
    LostReason("timing", "Timing", "thời điểm"),
    LostReason("relationship", "Relationship", "quan hệ"),
    LostReason("product-fit", "Product fit", "sản phẩm không phù hợp"),
    LostReason("other", "Other", "khác"),
)
LOST_BY_KEY: dict[str, LostReason] = {r.key: r for r in LOST_REASONS}


def resolve_lost_reason(text: str) -> LostReason:
    wanted = fold(text).replace(" ", "-")
    for reason in LOST_REASONS:
        if wanted in (reason.key, fold(reason.name).replace(" ", "-"),
                      fold(reason.vietnamese).replace(" ", "-")):
            return reason
    raise UsageError(_("unknown reason {text!r}; use one of: {keys}").format(
        text=text, keys=", ".join(r.key for r in LOST_REASONS)))


# -- Customer types (seed 003, "10 kiểu chiều chuộng khách hàng khó tính") ---------------------
class CustomerType(NamedTuple):
    key: str
    name: str
    vietnamese: str
    tip: str  # what the seed's (retail and service) advice means for a B2B seller
    tip_vi: str


CUSTOMER_TYPES: tuple[CustomerType, ...] = (
    CustomerType("bargainer", "Bargainer", "hay mặc cả",
                 "hold the list price: a first concession teaches them to haggle every time; "
                 "trade any concession for something (volume, a longer contract, faster "
                 "payment), and show the price in writing before the talk",
                 "giữ giá niêm yết: nhượng bộ lần đầu sẽ thành thói quen mặc cả; chỉ nhượng "
                 "bộ để đổi lấy điều gì đó (khối lượng, hợp đồng dài hơn, thanh toán nhanh), "
                 "gửi bảng giá bằng văn bản trước khi bàn"),
    CustomerType("expert", "Expert", "chuyên gia",
                 "be patient and let them show what they know; then prove your own competence "
                 "with specifics (data, references, a technical visit) rather than arguing",
                 "kiên nhẫn, để họ trình bày hiểu biết của mình; rồi chứng minh năng lực bằng "
                 "số liệu, khách hàng tham chiếu, chuyến thăm kỹ thuật thay vì tranh luận"),
    CustomerType("anxious", "Over-anxious", "lo lắng thái quá",
                 "agree the process up front (milestones, who checks what, when you report) "
                 "and report on time; reassurance beats their standing over the work",
                 "thống nhất trước quy trình (mốc, ai kiểm tra gì, khi nào báo cáo) và báo "
                 "cáo đúng hẹn; trấn an họ thay vì để họ giám sát từng bước"),
    CustomerType("questioner", "Questioner", "hay thắc mắc",
                 "answer fast and completely, in writing they can keep; say clearly which "
                 "questions belong in support and which in a paid consultation or a meeting",
                 "trả lời nhanh, đủ, bằng văn bản để họ lưu; nói rõ câu hỏi nào thuộc hỗ trợ, "
                 "câu hỏi nào cần buổi tư vấn hoặc cuộc họp riêng"),
    CustomerType("conservative", "Conservative", "bảo thủ",
                 "introduce change slowly with a transition: keep the old way available for a "
                 "while (at its real cost), show the new one working at a peer first",
                 "đưa thay đổi vào từ từ, có giai đoạn chuyển tiếp: giữ cách cũ một thời gian "
                 "(theo đúng chi phí của nó), cho thấy cách mới hiệu quả ở đơn vị tương tự"),
    CustomerType("changeable", "Changeable", "hay thay đổi",
                 "keenness fades: confirm each step in writing, get a small commitment early "
                 "(a trial, a deposit), and re-check the need before every proposal",
                 "sự hào hứng dễ nguội: xác nhận từng bước bằng văn bản, sớm có cam kết nhỏ "
                 "(dùng thử, đặt cọc), kiểm tra lại nhu cầu trước mỗi đề xuất"),
    CustomerType("sociable", "Sociable", "ưa giao thiệp",
                 "buying is a relationship for them: meet in person, leave time for talk "
                 "beyond business, remember their facts and occasions; email alone loses them",
                 "với họ mua hàng là giao tiếp: gặp trực tiếp, dành thời gian nói chuyện "
                 "ngoài công việc, nhớ chuyện riêng và dịp lễ của họ; chỉ gửi email sẽ mất họ"),
    CustomerType("unconfident", "Unconfident", "thiếu tự tin",
                 "they fear using the product wrongly: plan training and onboarding into the "
                 "offer, give short guides, and agree how much support is included",
                 "họ sợ dùng sai sản phẩm: đưa đào tạo và hướng dẫn sử dụng vào đề xuất, "
                 "tài liệu ngắn gọn, thống nhất mức hỗ trợ đi kèm"),
    CustomerType("overconfident", "Overconfident", "quá tự tin",
                 "do not fight their method: ask how they measure success, show results of "
                 "customers like them, propose a small pilot judged by their own measure",
                 "đừng phủ nhận cách làm của họ: hỏi họ đo thành công thế nào, đưa kết quả "
                 "của khách hàng tương tự, đề nghị thí điểm nhỏ theo thước đo của chính họ"),
    CustomerType("enthusiast", "Enthusiast", "cuồng nhiệt",
                 "a champion: reward their loyalty (priority, early access, a thank-you), "
                 "ask for referrals and a reference, and involve them in new products",
                 "người ủng hộ nhiệt thành: tri ân (ưu tiên, dùng trước sản phẩm mới, quà cảm "
                 "ơn), xin giới thiệu khách hàng mới, làm khách hàng tham chiếu"),
)
TYPE_BY_KEY: dict[str, CustomerType] = {t.key: t for t in CUSTOMER_TYPES}
FACT_ABOUT: tuple[str, ...] = ("family", "interests", "work", "other")


def resolve_type(text: str) -> CustomerType:
    """A customer type by its key, English or Vietnamese name (accents optional)."""
    wanted = fold(text).replace("-", " ")
    for kind in CUSTOMER_TYPES:
        if wanted in (kind.key, fold(kind.name).replace("-", " "), fold(kind.vietnamese),
                      fold(kind.vietnamese).replace("khach hang ", "")):
            return kind
    raise UsageError(_("unknown customer type {text!r}; use one of: {keys}").format(
        text=text, keys=", ".join(f"{t.key} ({t.vietnamese})" for t in CUSTOMER_TYPES)))
