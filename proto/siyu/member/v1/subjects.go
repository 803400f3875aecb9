package memberv1

// Where the member service publishes the events of events.proto (DESIGN.md
// §5: one stream per producing service, subjects siyu.<service>.<event>).
// Consumers in other services name them from here instead of spelling them
// again. Written by hand, beside the generated code of the same contract.
const (
	Stream                = "MEMBER"
	StreamSubjects        = "siyu.member.>"
	SubjectRegistered     = "siyu.member.registered"
	SubjectLoggedIn       = "siyu.member.logged_in"
	SubjectDeleted        = "siyu.member.deleted"
	SubjectBlocked        = "siyu.member.blocked"
	SubjectPointsChanged  = "siyu.member.points_changed"
	SubjectSignedIn       = "siyu.member.signed_in"
	SubjectLevelChanged   = "siyu.member.level_changed"
	SubjectTagged         = "siyu.member.tagged"
	SubjectPointsExpiring = "siyu.member.points_expiring"
)
