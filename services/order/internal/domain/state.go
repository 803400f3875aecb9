package domain

import (
	"fmt"

	"siyu.dev/pkg/fault"
)

// Status is where an order is in its life. PLACING and FAILED belong to the
// checkout saga: an order is PLACING while stock and points are being held,
// and FAILED when placing it was given up (everything held was released).
type Status string

const (
	StatusPlacing        Status = "PLACING"
	StatusFailed         Status = "FAILED"
	StatusPendingPayment Status = "PENDING_PAYMENT"
	StatusPaid           Status = "PAID"
	StatusShipped        Status = "SHIPPED"
	StatusReceived       Status = "RECEIVED"
	StatusCompleted      Status = "COMPLETED"
	StatusCancelled      Status = "CANCELLED"
	StatusRefunded       Status = "REFUNDED"
)

// Action is what happens to an order.
type Action string

const (
	ActionPlaced   Action = "placed"   // the saga held stock and points
	ActionFail     Action = "fail"     // the saga gave up
	ActionPay      Action = "pay"      // a verified payment arrived
	ActionCancel   Action = "cancel"   // the shopper, an operator or the deadline
	ActionShip     Action = "ship"     // an operator shipped it
	ActionReceive  Action = "receive"  // the shopper (or the auto-confirm) received it
	ActionComplete Action = "complete" // the after-sales window closed
	ActionRefund   Action = "refund"   // every unit refunded
)

// transitions is the whole state machine: from → action → to.
var transitions = map[Status]map[Action]Status{
	StatusPlacing:        {ActionPlaced: StatusPendingPayment, ActionFail: StatusFailed},
	StatusPendingPayment: {ActionPay: StatusPaid, ActionCancel: StatusCancelled},
	StatusPaid:           {ActionShip: StatusShipped, ActionRefund: StatusRefunded},
	StatusShipped:        {ActionReceive: StatusReceived, ActionRefund: StatusRefunded},
	StatusReceived:       {ActionComplete: StatusCompleted, ActionRefund: StatusRefunded},
}

// ErrIllegalTransition is the template of every refused transition.
var ErrIllegalTransition = fault.New(fault.Precondition, ReasonIllegalTransition, "the order cannot do that in its state")

// Next is the status after a, or FAILED_PRECONDITION ORDER_STATE_INVALID
// naming the status and the action.
func Next(from Status, a Action) (Status, error) {
	if to, ok := transitions[from][a]; ok {
		return to, nil
	}
	return from, ErrIllegalTransition.With("status", string(from), "action", string(a)).
		WithMsg(fmt.Sprintf("an order that is %s cannot %s", from, a))
}

// Terminal reports whether no action can change s any more.
func (s Status) Terminal() bool { return len(transitions[s]) == 0 }

// Visible reports whether shoppers and operators see orders in s: a failed
// placement never became an order.
func (s Status) Visible() bool { return s != StatusPlacing && s != StatusFailed }
