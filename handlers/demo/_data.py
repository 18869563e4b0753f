"""The demo data itself: organisations, users, metrics, services with their options and
targets, supporting processes and configuration items (plain constants, no logic).

:mod:`handlers.demo.seed` loads them; it re-exports every name here.
"""
from __future__ import annotations

#: the password of every demo user (documented in README.md; change it outside a demo)
DEMO_PASSWORD = "demo-password-1"
PROVIDER = ("fabrikam-it", "Fabrikam IT Services")
CUSTOMERS = (("northwind", "Northwind Logistics"), ("contoso", "Contoso Health"),
             ("volga", "ООО «Волжская логистика»"))
#: organisations and people who work in another language than English: key/username ->
#: (language, time zone)
LANGUAGES = {"volga": ("ru", None), "irina.volga": ("ru", "Europe/Moscow")}
#: username, display name, role, organisation key, e-mail
DEMO_USERS = (
    ("admin", "Ada Admin", "Admin", "fabrikam-it", "admin@fabrikam.example"),
    ("owner", "Oscar Owner", "Process Owner", "fabrikam-it", "owner@fabrikam.example"),
    ("manager", "Maya Manager", "Service Level Manager", "fabrikam-it",
     "manager@fabrikam.example"),
    ("auditor", "Aldo Auditor", "Auditor", None, "auditor@audit.example"),
    ("alice.northwind", "Alice Walker", "Customer", "northwind", "alice@northwind.example"),
    ("nils.northwind", "Nils Berg", "Customer", "northwind", "nils@northwind.example"),
    ("bob.contoso", "Bob Chen", "Customer", "contoso", "bob@contoso.example"),
    ("clara.contoso", "Clara Diaz", "Customer", "contoso", "clara@contoso.example"),
    ("irina.volga", "Ирина Соколова", "Customer", "volga", "irina@volga.example"),
)

#: key, name, unit, direction, aggregation, data source (None: cannot be measured), text
METRICS = (
    ("availability", "Availability", "%", "higher", "avg",
     "Zabbix monitoring (synthetic checks every minute)",
     "Share of service hours the service was usable, per day."),
    ("first_response", "First response time", "minutes", "lower", "avg",
     "ServiceNow incident records", "Minutes from a ticket's creation to the first answer."),
    ("incident_resolution", "Incident resolution time", "hours", "lower", "avg",
     "ServiceNow incident records", "Hours from a ticket's creation to its resolution."),
    ("first_contact_resolution", "First contact resolution", "%", "higher", "avg",
     "ServiceNow incident records", "Share of tickets solved in the first contact."),
    ("batch_on_time", "ERP batch jobs on time", "%", "higher", "avg",
     "SAP job scheduler log", "Share of scheduled batch jobs finished by their deadline."),
    ("latency", "Round-trip latency", "ms", "lower", "avg", "PRTG network monitoring",
     "Round-trip time between the sites and the data centre."),
    ("rpo", "Recovery point (age of the last good backup)", "hours", "lower", "max",
     "Veeam backup reports", "Worst age of the last restorable backup."),
    ("restore_success", "Restore test success", "%", "higher", "avg",
     "Veeam restore tests", "Share of weekly restore tests that succeeded."),
    ("access_fulfilment", "Access request fulfilment time", "hours", "lower", "avg",
     "SailPoint access request log", "Hours from an access request to its fulfilment."),
    ("user_satisfaction", "User satisfaction", "score 1-5", "higher", "avg", None,
     "No survey tool yet: this cannot be measured, so no target may use it."),
)

LONDON = "Europe/London"
#: key, name, owner, description, [(level, monthly cost, service hours, {metric: threshold})]
SERVICES = (
    ("email", "Email & Collaboration", "Priya Nair",
     "Mail, calendars, Teams and SharePoint for every employee.", (
         ("Bronze", "900.00", "Mon-Fri 08:00-18:00",
          {"availability": 99.0, "first_response": 60, "incident_resolution": 24}),
         ("Silver", "1500.00", "Mon-Sat 07:00-20:00",
          {"availability": 99.5, "first_response": 30, "incident_resolution": 8}),
         ("Gold", "2400.00", "24x7",
          {"availability": 99.9, "first_response": 15, "incident_resolution": 4}))),
    ("service-desk", "Service Desk", "Tomás Reyes",
     "Single point of contact for incidents and requests, by phone, portal and chat.", (
         ("Bronze", "1200.00", "Mon-Fri 08:00-18:00",
          {"first_response": 60, "incident_resolution": 24, "first_contact_resolution": 60}),
         ("Silver", "2100.00", "Mon-Fri 07:00-19:00",
          {"first_response": 30, "incident_resolution": 12, "first_contact_resolution": 70}),
         ("Gold", "3400.00", "24x7",
          {"first_response": 10, "incident_resolution": 6, "first_contact_resolution": 80}))),
    ("erp-hosting", "ERP Hosting", "Hannah Okafor",
     "SAP S/4HANA hosted in our data centres, including batch operations.", (
         ("Bronze", "3000.00", "Mon-Fri 07:00-19:00",
          {"availability": 99.0, "incident_resolution": 12, "batch_on_time": 95}),
         ("Silver", "4800.00", "Mon-Sat 06:00-22:00",
          {"availability": 99.5, "incident_resolution": 8, "batch_on_time": 98}),
         ("Gold", "7200.00", "24x7",
          {"availability": 99.9, "incident_resolution": 4, "batch_on_time": 99.5}))),
    ("network", "Network Connectivity", "Lars Petersen",
     "LAN, Wi-Fi and WAN links between the customer's sites and our data centres.", (
         ("Bronze", "800.00", "Mon-Fri 08:00-18:00", {"availability": 99.0, "latency": 80}),
         ("Silver", "1400.00", "24x7", {"availability": 99.5, "latency": 50}),
         ("Gold", "2300.00", "24x7", {"availability": 99.95, "latency": 30}))),
    ("backup", "Backup & Restore", "Grace Kim",
     "Backups of servers and databases with tested restores.", (
         ("Bronze", "500.00", "24x7", {"rpo": 24, "restore_success": 95}),
         ("Silver", "850.00", "24x7", {"rpo": 12, "restore_success": 98}),
         ("Gold", "1400.00", "24x7", {"rpo": 4, "restore_success": 99.5}))),
    ("identity", "Identity & Access", "Ines Duarte",
     "Accounts, single sign-on, multi-factor authentication and access requests.", (
         ("Bronze", "600.00", "Mon-Fri 08:00-18:00",
          {"availability": 99.0, "access_fulfilment": 48}),
         ("Silver", "1000.00", "24x7", {"availability": 99.5, "access_fulfilment": 24}),
         ("Gold", "1600.00", "24x7", {"availability": 99.9, "access_fulfilment": 8}))),
)

#: supporting process kind -> (owner, agreement); {n} is the service's number
SUPPORT = {
    "incident": ("Incident Management (Tomás Reyes)",
                 "OLA-INC-{n:02d}: P1 answered in 15 minutes and worked 24x7, P2 in 1 hour"),
    "problem": ("Problem Management (Tomás Reyes)",
                "OLA-PRB-{n:02d}: root cause of every P1 within 10 working days"),
    "change": ("Change Management (Hannah Okafor)",
               "OLA-CHG-{n:02d}: weekly CAB; emergency changes approved within 4 hours"),
    "availability": ("Availability Management (Lars Petersen)",
                     "OLA-AVM-{n:02d}: monitoring of every CI, monthly availability report"),
    "capacity": ("Capacity Management (Lars Petersen)",
                 "OLA-CAP-{n:02d}: quarterly capacity plan, alerts at 80 % utilisation"),
    "continuity": ("IT Service Continuity (Grace Kim)",
                   "OLA-SCM-{n:02d}: disaster recovery plan tested twice a year, RTO 4 hours"),
    "security": ("Information Security (Ines Duarte)",
                 "OLA-SEC-{n:02d}: access reviews every quarter, incident response 24x7"),
    "supplier": ("Supplier Management (Grace Kim)",
                 "UC-WAN-2025: carrier contract, 4-hour fix on every WAN link"),
}
#: supporting processes beyond the baseline (incident, change, availability, continuity)
EXTRA_SUPPORT = {"email": ("problem", "capacity"), "service-desk": ("problem",),
                 "erp-hosting": ("problem", "capacity"),
                 "network": ("problem", "capacity", "supplier"), "backup": ("problem",),
                 "identity": ("problem", "security")}
#: the one gap in the register: ERP Hosting has no continuity process yet (mission rule 5)
MISSING = ("erp-hosting", "continuity")

#: key, name, type, status, location, services
CIS = (
    ("CI-MAIL-01", "Exchange Online tenant", "SaaS tenant", "operational",
     "Microsoft cloud (EU)", ("email",)),
    ("CI-MAIL-02", "Mail gateway (Proofpoint)", "Appliance", "operational", "DC London",
     ("email",)),
    ("CI-COLLAB-01", "Teams and SharePoint tenant", "SaaS tenant", "operational",
     "Microsoft cloud (EU)", ("email",)),
    ("CI-SD-01", "ServiceNow instance", "Application", "operational", "ServiceNow cloud (EU)",
     ("service-desk",)),
    ("CI-SD-02", "Contact centre telephony", "Application", "operational", "DC London",
     ("service-desk",)),
    ("CI-ERP-APP-01", "SAP S/4HANA application server 1", "Virtual server", "operational",
     "DC London", ("erp-hosting",)),
    ("CI-ERP-APP-02", "SAP S/4HANA application server 2", "Virtual server", "operational",
     "DC London", ("erp-hosting",)),
    ("CI-ERP-DB-01", "SAP HANA database", "Database", "operational", "DC London",
     ("erp-hosting", "backup")),
    ("CI-NET-CORE-01", "Core switch stack London", "Network device", "operational",
     "DC London", ("network", "email", "erp-hosting")),
    ("CI-NET-WAN-01", "MPLS WAN router", "Network device", "operational", "DC London",
     ("network",)),
    ("CI-NET-FW-01", "Perimeter firewall cluster", "Network device", "operational",
     "DC London", ("network", "identity")),
    ("CI-BKP-01", "Veeam backup server", "Physical server", "operational", "DC Manchester",
     ("backup",)),
    ("CI-BKP-02", "LTO-9 tape library", "Storage", "operational", "DC Manchester",
     ("backup",)),
    ("CI-IAM-01", "Entra ID tenant", "SaaS tenant", "operational", "Microsoft cloud (EU)",
     ("identity", "email")),
    ("CI-IAM-02", "Domain controller DC01", "Virtual server", "operational", "DC London",
     ("identity",)),
    ("CI-IAM-03", "Domain controller DC02", "Virtual server", "maintenance", "DC Manchester",
     ("identity",)),
)
