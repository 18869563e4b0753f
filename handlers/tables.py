"""Every area's records, imported so that ``Base.metadata`` holds all tables (for the
migrations' autogenerate check and for tests that create the schema)."""
from handlers.agreements import models as agreements  # noqa: F401
from handlers.catalogue import models as catalogue  # noqa: F401
from handlers.conversations import models as conversations  # noqa: F401
from handlers.delivery import models as delivery  # noqa: F401
from handlers.notifications import models as notifications  # noqa: F401
from handlers.outputs import models as outputs  # noqa: F401
from handlers.people import models as people  # noqa: F401
from handlers.reports import models as reports  # noqa: F401
from handlers.requirements import models as requirements  # noqa: F401
from handlers.reviews import models as reviews  # noqa: F401
