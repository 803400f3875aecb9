package domain

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"siyu.dev/pkg/fault"
)

// ShipmentLine is units of one order line in a parcel.
type ShipmentLine struct {
	LineID   string
	Quantity int64
}

// Shipment is one parcel: a carrier, its tracking number and what is in it.
type Shipment struct {
	ID         string
	Carrier    string
	TrackingNo string
	Lines      []ShipmentLine
	At         time.Time
}

// unitsToShip is how many units of the order are neither shipped nor
// refunded before shipping.
func (o *Order) unitsToShip() int64 {
	n := int64(0)
	for _, l := range o.Lines {
		n += l.Quantity - l.ShippedQty - l.ReleasedQty
	}
	return n
}

// Ship records a parcel of a paid order: want maps line ids to units (nil:
// every unit still to ship). The order turns SHIPPED with the parcel that
// leaves nothing to ship. A parcel with a tracking number the order already
// has is a repeat: repeat reports it and nothing changes.
func (o *Order) Ship(carrier, tracking string, want map[string]int64, now time.Time, t Timing) (repeat bool, err error) {
	carrier, tracking = strings.TrimSpace(carrier), strings.TrimSpace(tracking)
	if carrier == "" || tracking == "" || len(carrier) > 32 || len(tracking) > 64 {
		return false, fault.New(fault.Invalid, ReasonArgumentInvalid, "carrier and tracking_number are required (at most 32 and 64 bytes)", "field", "tracking_number")
	}
	if slices.ContainsFunc(o.Shipments, func(s Shipment) bool { return s.Carrier == carrier && s.TrackingNo == tracking }) {
		return true, nil
	}
	if o.Status != StatusPaid {
		return false, ErrIllegalTransition.With("status", string(o.Status), "action", string(ActionShip)).
			WithMsg("only a paid order with units still to ship can ship")
	}
	if o.AwaitingGroup {
		return false, fault.New(fault.Precondition, ReasonAwaitingGroup, "the order's group-buy has not filled yet: it ships once the group succeeds")
	}
	for lineID := range want {
		if !slices.ContainsFunc(o.Lines, func(l OrderLine) bool { return l.LineID == lineID }) {
			return false, fault.New(fault.Invalid, ReasonShipmentInvalid, "no such line in the order", "line_id", lineID)
		}
	}
	s := Shipment{ID: o.ID + "-s" + strconv.Itoa(len(o.Shipments)+1), Carrier: carrier, TrackingNo: tracking, At: now}
	for i, l := range o.Lines {
		open := l.Quantity - l.ShippedQty - l.ReleasedQty
		k := open
		if want != nil {
			k = want[l.LineID]
		}
		if k < 0 || k > open {
			return false, fault.New(fault.Invalid, ReasonShipmentInvalid, "ship between 0 and the units still to ship", "line_id", l.LineID, "to_ship", itoa(open))
		}
		if k > 0 {
			s.Lines = append(s.Lines, ShipmentLine{LineID: l.LineID, Quantity: k})
			o.Lines[i].ShippedQty += k
		}
	}
	if len(s.Lines) == 0 {
		return false, fault.New(fault.Invalid, ReasonShipmentInvalid, "a parcel holds at least one unit")
	}
	o.Shipments = append(o.Shipments, s)
	o.Carrier, o.TrackingNo, o.UpdatedAt = carrier, tracking, now
	if o.unitsToShip() == 0 {
		return false, o.Do(ActionShip, now, t)
	}
	return false, nil
}

// FindShipment is the order's parcel with id.
func (o *Order) FindShipment(id string) (Shipment, bool) {
	i := slices.IndexFunc(o.Shipments, func(s Shipment) bool { return s.ID == id })
	if i < 0 {
		return Shipment{}, false
	}
	return o.Shipments[i], true
}
