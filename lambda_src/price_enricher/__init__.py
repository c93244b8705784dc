"""Price enricher: computes indicators for new ticks from the table's stream and notifies SNS."""
