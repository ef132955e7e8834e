from dataclasses import dataclass


@dataclass
class Reporter:
    events: object
    bus: str = "fulfilment"

    def report(self, execution_arn):
        self.events.put_events(
            Entries=[{"EventBusName": self.bus, "Source": "workflow", "DetailType": "started", "Detail": execution_arn}]
        )
