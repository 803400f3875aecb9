package domain

import (
	"testing"

	"siyu.dev/pkg/fault"
)

func TestStateMachine(t *testing.T) {
	all := []Status{StatusPlacing, StatusFailed, StatusPendingPayment, StatusPaid, StatusShipped, StatusReceived, StatusCompleted, StatusCancelled, StatusRefunded}
	actions := []Action{ActionPlaced, ActionFail, ActionPay, ActionCancel, ActionShip, ActionReceive, ActionComplete, ActionRefund}
	legal := map[[2]string]Status{
		{"PLACING", "placed"}:         StatusPendingPayment,
		{"PLACING", "fail"}:           StatusFailed,
		{"PENDING_PAYMENT", "pay"}:    StatusPaid,
		{"PENDING_PAYMENT", "cancel"}: StatusCancelled,
		{"PAID", "ship"}:              StatusShipped,
		{"PAID", "refund"}:            StatusRefunded,
		{"SHIPPED", "receive"}:        StatusReceived,
		{"SHIPPED", "refund"}:         StatusRefunded,
		{"RECEIVED", "complete"}:      StatusCompleted,
		{"RECEIVED", "refund"}:        StatusRefunded,
	}
	for _, s := range all {
		for _, a := range actions {
			got, err := Next(s, a)
			want, ok := legal[[2]string{string(s), string(a)}]
			if ok {
				if err != nil || got != want {
					t.Errorf("%s %s = %s, %v; want %s", s, a, got, err, want)
				}
				continue
			}
			f, isFault := fault.As(err)
			if !isFault || f.Kind != fault.Precondition || f.Reason != ReasonIllegalTransition || f.Meta["status"] != string(s) || f.Meta["action"] != string(a) {
				t.Errorf("%s %s: want FAILED_PRECONDITION %s with status and action, got %v", s, a, ReasonIllegalTransition, err)
			}
			if got != s {
				t.Errorf("%s %s: a refused transition must keep the status, got %s", s, a, got)
			}
		}
	}
	for _, s := range []Status{StatusFailed, StatusCompleted, StatusCancelled, StatusRefunded} {
		if !s.Terminal() {
			t.Errorf("%s should be terminal", s)
		}
	}
	if StatusPlacing.Visible() || StatusFailed.Visible() || !StatusPaid.Visible() {
		t.Error("only placed orders are visible")
	}
}
