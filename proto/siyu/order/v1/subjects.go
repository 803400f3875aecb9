package orderv1

// Where the order service publishes the events of events.proto (DESIGN.md
// §5: one stream per producing service, subjects siyu.<service>.<event>).
// Consumers in other services name them from here instead of spelling them
// again. Written by hand, beside the generated code of the same contract.
const (
	Stream           = "ORDER"
	StreamSubjects   = "siyu.order.>"
	SubjectCreated   = "siyu.order.created"
	SubjectPaid      = "siyu.order.paid"
	SubjectCancelled = "siyu.order.cancelled"
	SubjectShipped   = "siyu.order.shipped"
	SubjectReceived  = "siyu.order.received"
	SubjectCompleted = "siyu.order.completed"
	SubjectRefunded  = "siyu.order.refunded"
)
