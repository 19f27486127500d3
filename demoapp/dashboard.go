package demoapp

import (
	"fmt"
	"math"
	"net/http"
	"strings"
)

// chart is one project's fake analytics, ready to draw as inline SVG.
type chart struct {
	Project  project
	Points   string // polyline points of daily events, in a 300×80 box
	Area     string // the same line closed along the bottom, for the fill
	Bars     []bar  // weekly active users, in a 300×80 box
	Total    string
	Change   string
	Up       bool
	Funnel   []funnelStep
	Retained string
}

type bar struct {
	X, Y, W, H float64
}

type funnelStep struct {
	Name    string
	Percent int
}

// series returns n pseudo-random but stable values for seed: a gentle trend, a weekly rhythm and noise.
func series(seed int64, n int) []float64 {
	x := uint64(seed)*6364136223846793005 + 1442695040888963407
	vals := make([]float64, n)
	for i := range vals {
		x = x*6364136223846793005 + 1442695040888963407
		noise := float64(x>>40) / float64(1<<24)
		weekly := math.Sin(float64(i)*2*math.Pi/7) * 0.12
		vals[i] = 1000 + float64(seed)*40 + float64(i)*float64(seed%5+2)*6 + 1000*weekly + 250*noise
	}
	return vals
}

func makeChart(p project) chart {
	vals := series(p.Seed, 30)
	lo, hi := vals[0], vals[0]
	var total float64
	for _, v := range vals {
		lo, hi = min(lo, v), max(hi, v)
		total += v
	}
	var pts []string
	for i, v := range vals {
		x := float64(i) * 300 / float64(len(vals)-1)
		y := 75 - (v-lo)/(hi-lo+1)*65
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	c := chart{Project: p, Points: strings.Join(pts, " ")}
	c.Area = "0,80 " + c.Points + " 300,80"
	weeks := series(p.Seed+101, 8)
	wlo, whi := weeks[0], weeks[0]
	for _, v := range weeks {
		wlo, whi = min(wlo, v), max(whi, v)
	}
	for i, v := range weeks {
		h := 12 + (v-wlo)/(whi-wlo+1)*60
		c.Bars = append(c.Bars, bar{X: float64(i)*37.5 + 6, Y: 80 - h, W: 25, H: h})
	}
	c.Total = fmt.Sprintf("%.1fk", total/1000)
	first, last := (vals[0]+vals[1]+vals[2])/3, (vals[27]+vals[28]+vals[29])/3
	change := (last - first) / first * 100
	c.Up = change >= 0
	c.Change = fmt.Sprintf("%+.1f%%", change)
	top := 100
	for i, name := range []string{"Visited", "Signed up", "Activated", "Subscribed"} {
		c.Funnel = append(c.Funnel, funnelStep{Name: name, Percent: top})
		top = top * (55 + int(p.Seed*(int64(i)+3))%30) / 100
	}
	c.Retained = fmt.Sprintf("%d%%", 30+int(p.Seed)%25)
	return c
}

func (a *App) dashboard(w http.ResponseWriter, r *http.Request) error {
	u, err := a.requireUser(r)
	if err != nil {
		return err
	}
	ps, err := a.listProjects(r.Context())
	if err != nil {
		return err
	}
	var charts []chart
	for _, p := range ps {
		charts = append(charts, makeChart(p))
	}
	a.render(w, r, http.StatusOK, "dashboard", map[string]any{"Title": "Dashboard", "User": u, "Charts": charts, "Nav": "dashboard"})
	return nil
}
