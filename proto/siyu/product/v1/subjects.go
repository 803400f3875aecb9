package productv1

// Where the product service publishes the events of events.proto (DESIGN.md
// §5: one stream per producing service, subjects siyu.<service>.<event>).
// Consumers in other services name them from here instead of spelling them
// again. Written by hand, beside the generated code of the same contract.
const (
	Stream              = "PRODUCT"
	StreamSubjects      = "siyu.product.>"
	SubjectCreated      = "siyu.product.created"
	SubjectUpdated      = "siyu.product.updated"
	SubjectPublished    = "siyu.product.published"
	SubjectStockChanged = "siyu.product.stock_changed"
	SubjectStockLow     = "siyu.product.stock_low"
	SubjectReviewed     = "siyu.product.reviewed"
	SubjectSearched     = "siyu.product.searched"
)
