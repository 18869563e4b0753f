"""The SLM domain: records, and the handlers BPMN service tasks call."""
