"""The audit log read as the process's history: what each instance is about, and the
event logs process-mining tools read.

- ``subjects``: the records an instance is about (requirement, SLA, review, change
  requests) and, the other way, the instances of a record; organisation names
- ``selection``: the events of one process cut at the chain head (version, period,
  organisation filters)
- ``xes``: the selection as an IEEE 1849 XES document
- ``ocel``: the selection as an OCEL 2.0 JSON document
"""
