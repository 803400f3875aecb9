package domain

import (
	"sort"
	"strings"
	"time"
)

// Day is t's calendar day in Asia/Shanghai, YYYY-MM-DD.
func Day(t time.Time) string { return t.In(Shanghai).Format(time.DateOnly) }

// keepDays bounds the sign-in days kept: enough for any calendar month.
const keepDays = 62

// SignInResult is the answer to a check-in.
type SignInResult struct {
	Day     string
	Streak  int
	Points  int64
	Already bool
}

// SignInReward is what the streak-th day in a row earns.
func SignInReward(s Settings, streak int) int64 {
	p := s.SignInDailyPoints
	if s.SignInBonusEveryDays > 0 && streak > 0 && streak%s.SignInBonusEveryDays == 0 {
		p += s.SignInBonusPoints
	}
	return p
}

// CheckIn signs the member in for now's day: the streak continues from
// yesterday or starts again, and the day's reward is credited as a lot. A
// second check-in on the same day changes nothing and returns the first answer.
func (a *Account) CheckIn(now time.Time, s Settings) (SignInResult, error) {
	today := Day(now)
	if a.SignIn.LastDay == today {
		return SignInResult{Day: today, Streak: a.SignIn.Streak, Points: a.SignIn.LastPoints, Already: true}, nil
	}
	yesterday := Day(now.In(Shanghai).AddDate(0, 0, -1))
	streak := 1
	if a.SignIn.LastDay == yesterday {
		streak = a.SignIn.Streak + 1
	}
	pts := SignInReward(s, streak)
	if pts > 0 {
		if _, err := a.Earn(now, "signin:"+today, pts, ExpiryFor(now, s.ExpiryYears), EntryEarn, "daily sign-in", ""); err != nil {
			return SignInResult{}, err
		}
	}
	a.SignIn.LastDay, a.SignIn.Streak, a.SignIn.LastPoints = today, streak, pts
	a.SignIn.Days = append(a.SignIn.Days, today)
	if len(a.SignIn.Days) > keepDays {
		a.SignIn.Days = a.SignIn.Days[len(a.SignIn.Days)-keepDays:]
	}
	return SignInResult{Day: today, Streak: streak, Points: pts}, nil
}

// Calendar is the days of now's month signed in, the month (YYYY-MM), the
// live streak (0 once a day was missed) and whether today is signed.
func (a *Account) Calendar(now time.Time) (month string, days []string, streak int, today bool) {
	month = now.In(Shanghai).Format("2006-01")
	for _, d := range a.SignIn.Days {
		if strings.HasPrefix(d, month+"-") {
			days = append(days, d)
		}
	}
	sort.Strings(days)
	t := Day(now)
	switch a.SignIn.LastDay {
	case t:
		return month, days, a.SignIn.Streak, true
	case Day(now.In(Shanghai).AddDate(0, 0, -1)):
		return month, days, a.SignIn.Streak, false
	}
	return month, days, 0, false
}
