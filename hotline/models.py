"""Every model, imported once so that the metadata (and Alembic) sees the whole schema."""

from knowledge_base.models import Article, ArticleVersion, Flag, SynonymGroup  # noqa: F401

from .accounts.models import ApiToken, SignInCounter, User  # noqa: F401
from .attachments.models import Attachment  # noqa: F401
from .audit.models import AuditEvent  # noqa: F401
from .callers.models import Caller  # noqa: F401
from .categories.models import Category  # noqa: F401
from .citizens.models import PhoneVerification  # noqa: F401
from .citizens.open311.models import Open311Key, Open311Request  # noqa: F401
from .core.ratelimit import RateLimitWindow  # noqa: F401
from .notifications.models import Notification, NotificationTemplate  # noqa: F401
from .ops.models import FailedJob  # noqa: F401
from .reports.bulletin_models import Bulletin, BulletinCorrection  # noqa: F401
from .reports.models import Exemption, ExemptionReason, ScoreScheme  # noqa: F401
from .reports.rollup_models import FigureMonthVersion, FigureRollup  # noqa: F401
from .reports.topics_models import HotTopicSnapshot, Spike, SpikeTicket, TicketTerm, TicketTermSet  # noqa: F401
from .routing.models import (  # noqa: F401
    CatalogueRule,
    CatalogueRuleVersion,
    DispatchSuggestion,
    ReplyCheckSetting,
    SuggestionModel,
)
from .sla.models import CalendarDay, CalendarWarning, Deadline, DeadlineRecord, SlaPolicy  # noqa: F401
from .supervision.models import (  # noqa: F401
    Card,
    CaseOrder,
    EsupDelivery,
    RectificationNotice,
    SupervisionCase,
)
from .tickets.models import (  # noqa: F401
    Callback,
    ExtensionRequest,
    IdempotencyKey,
    Reply,
    Ticket,
    TicketEvent,
    TicketNumberCounter,
)
from .units.models import Unit  # noqa: F401
