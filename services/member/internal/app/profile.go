package app

import (
	"context"
	"errors"

	"siyu.dev/services/member/internal/domain"
)

// Me returns the calling member; a deleted account is gone for its owner.
func (s *Service) Me(ctx context.Context, memberID string) (domain.Member, error) {
	m, err := s.GetMember(ctx, memberID)
	if err == nil && m.Deleted {
		return domain.Member{}, domain.ErrMemberNotFound
	}
	return m, err
}

// UpdateProfile validates and writes a partial profile change.
func (s *Service) UpdateProfile(ctx context.Context, memberID string, p domain.ProfileChange) (domain.Member, error) {
	if p.Empty() {
		return domain.Member{}, domain.ErrUpdateMaskRequired
	}
	if err := p.Validate(s.clk.Now()); err != nil {
		return domain.Member{}, err
	}
	m, err := s.members.UpdateProfile(ctx, memberID, p)
	if errors.Is(err, ErrNotFound) {
		return domain.Member{}, domain.ErrMemberNotFound
	}
	return m, err
}

// DeleteAccount anonymises the member and revokes every session. Running it
// again after a crash between the two steps finishes the job.
func (s *Service) DeleteAccount(ctx context.Context, memberID string) error {
	m, err := s.members.Get(ctx, memberID)
	if errors.Is(err, ErrNotFound) {
		return domain.ErrMemberNotFound
	}
	if err != nil {
		return err
	}
	if !m.Deleted {
		if _, err := s.members.Anonymise(ctx, domain.Anonymised(m), domain.Deleted{EventID: newID("ev"), MemberID: m.ID, At: s.clk.Now()}); err != nil {
			return err
		}
	}
	return s.sessions.RevokeAll(ctx, memberID)
}

// ListSessions returns the member's live sessions.
func (s *Service) ListSessions(ctx context.Context, memberID string) ([]domain.Session, error) {
	return s.sessions.ListLive(ctx, memberID, s.clk.Now())
}

// RevokeSession ends one of the member's own sessions.
func (s *Service) RevokeSession(ctx context.Context, memberID, sessionID string) error {
	if sessionID == "" {
		return domain.ErrSessionIDRequired
	}
	ok, err := s.sessions.RevokeOwned(ctx, sessionID, memberID)
	if err != nil {
		return err
	}
	if !ok {
		return domain.ErrSessionNotFound
	}
	return nil
}

// addressRetries bounds the compare-and-set rounds of one address change;
// losing them all takes dozens of concurrent writers on one book.
const addressRetries = 30

// changeBook applies fn to the member's address book and saves it with a
// compare-and-set on the book's revision, retrying on a lost race. fn sees
// a fresh book each round, so the limit and the single default hold
// whatever the interleaving.
func (s *Service) changeBook(ctx context.Context, memberID string, fn func(domain.AddressBook) ([]domain.Address, error)) error {
	for range addressRetries {
		b, err := s.AddressBook(ctx, memberID)
		if err != nil {
			return err
		}
		list, err := fn(b)
		if err != nil {
			return err
		}
		ok, err := s.members.SaveAddressBook(ctx, memberID, b.Rev, list)
		if err != nil || ok {
			return err
		}
	}
	return domain.ErrAddressBusy
}

// AddressBook returns the member's addresses.
func (s *Service) AddressBook(ctx context.Context, memberID string) (domain.AddressBook, error) {
	b, err := s.members.AddressBook(ctx, memberID)
	if errors.Is(err, ErrNotFound) {
		return domain.AddressBook{}, domain.ErrMemberNotFound
	}
	return b, err
}

// Address returns one of the member's addresses; another member's id is
// simply not in this member's book.
func (s *Service) Address(ctx context.Context, memberID, addressID string) (domain.Address, error) {
	if addressID == "" {
		return domain.Address{}, domain.ErrAddressIDRequired
	}
	b, err := s.AddressBook(ctx, memberID)
	if err != nil {
		return domain.Address{}, err
	}
	return b.Find(addressID)
}

// CreateAddress adds an address to the member's book.
func (s *Service) CreateAddress(ctx context.Context, memberID string, a domain.Address) (domain.Address, error) {
	now := s.clk.Now()
	a.ID, a.CreatedAt, a.UpdatedAt = newID("a"), now, now
	var saved domain.Address
	err := s.changeBook(ctx, memberID, func(b domain.AddressBook) ([]domain.Address, error) {
		list, err := b.Add(a)
		if err == nil {
			saved = list[len(list)-1]
		}
		return list, err
	})
	return saved, err
}

// UpdateAddress replaces the fields of one of the member's addresses.
func (s *Service) UpdateAddress(ctx context.Context, memberID, addressID string, a domain.Address) (domain.Address, error) {
	if addressID == "" {
		return domain.Address{}, domain.ErrAddressIDRequired
	}
	var saved domain.Address
	err := s.changeBook(ctx, memberID, func(b domain.AddressBook) ([]domain.Address, error) {
		list, got, err := b.Replace(addressID, a, s.clk.Now())
		saved = got
		return list, err
	})
	return saved, err
}

// DeleteAddress removes one of the member's addresses.
func (s *Service) DeleteAddress(ctx context.Context, memberID, addressID string) error {
	if addressID == "" {
		return domain.ErrAddressIDRequired
	}
	return s.changeBook(ctx, memberID, func(b domain.AddressBook) ([]domain.Address, error) {
		return b.Remove(addressID)
	})
}
