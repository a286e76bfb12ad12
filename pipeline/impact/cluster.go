package impact

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// setCluster fills f.Cluster with CR2 cluster-robust standard errors (see
// WLSAbsorb) for every kept term, from the fit's demeaned rows. cluster
// gives each kept row's cluster; grp its absorb group, each of which must
// lie within one cluster.
func (f *Fit) setCluster(ls lsq, cluster []string, grp []int, w []float64) error {
	index := map[string]int{}
	var members [][]int
	groupCluster := map[int]int{}
	for i, c := range cluster {
		k, ok := index[c]
		if !ok {
			k = len(members)
			index[c] = k
			members = append(members, nil)
		}
		members[k] = append(members[k], i)
		if prev, ok := groupCluster[grp[i]]; ok && prev != k {
			return fmt.Errorf("impact: a school's students are in two clusters (%s and another); clusters must hold whole schools", c)
		}
		groupCluster[grp[i]] = k
	}
	G := len(members)
	f.Clusters = G
	if G < 2 {
		f.ClusterNote = "a cluster-robust standard error needs students in at least two schools"
		return nil
	}
	_, p := ls.a.Dims()
	X := mat.NewDense(len(cluster), p, nil)
	X.Mul(ls.a, ls.r) // the demeaned, √w-scaled columns
	var Mzz mat.Dense // (X'X)⁻¹ = R⁻¹R⁻ᵀ
	Mzz.Mul(ls.rInv, ls.rInv.T())
	// S = Σ w² c c' over every student, c = x/√w the unweighted centred
	// row: with the √w-scaled rows x, that is (√w x)'(√w x).
	var wx mat.Dense
	wx.Apply(func(i, _ int, v float64) float64 { return math.Sqrt(w[i]) * v }, X)
	var S mat.Dense
	S.Mul(wx.T(), &wx)
	meat := mat.NewSymDense(p, nil)
	for _, rows := range members {
		b, ok := cr2Cluster(rows, X, &Mzz, &S, ls.resid, w, p)
		if !ok {
			f.ClusterNote = "the cluster-robust standard error could not be computed (a school's rows did not factorize)"
			f.Cluster = nil
			return nil
		}
		meat.SymRankOne(meat, 1, b)
	}
	var Mm, V mat.Dense
	Mm.Mul(&Mzz, meat)
	V.Mul(&Mm, &Mzz)
	tq := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(G - 1)}
	crit := tq.Quantile(0.975)
	f.Cluster = make(map[string]Estimate, len(f.Terms))
	for j, name := range f.Terms {
		b := ls.beta[j]
		se := math.Sqrt(math.Max(V.At(j, j), 0))
		est := Estimate{B: b, SE: se, Lo: b - crit*se, Hi: b + crit*se}
		if se > 0 {
			est.T = b / se
			est.P = 2 * tq.Survival(math.Abs(est.T))
		} else {
			est.T, est.P = 0, 1
		}
		if !finite(est.B, est.SE, est.Lo, est.Hi, est.T, est.P) {
			f.Cluster = nil
			f.ClusterNote = "the cluster-robust standard error did not come out as a finite number"
			return nil
		}
		f.Cluster[name] = est
	}
	return nil
}

// cr2Cluster is one cluster's part of the CR2 meat, as estimatr's
// lm_robust computes it with weights (clubSandwich's CR2 with an
// unweighted working model): b = C'W B^(-1/2) e, where C are the cluster's
// unweighted rows centred on their school's weighted means, e the
// unweighted residuals, and B = I - H - H' + H_g· H_g·' with H = X M X'W
// the full model's (school indicators included) weighted hat matrix. B - I
// lies in the span of C, WC, 1 and w, so B^(-1/2) is computed in that
// span of at most 2p+2 dimensions rather than on n_g x n_g matrices.
// Eigenvalues of B at or below 1e-12 count as 0 in the inverse, as in
// estimatr.
func cr2Cluster(rows []int, X *mat.Dense, Mzz *mat.Dense, S *mat.Dense, resid, w []float64, p int) (*mat.VecDense, bool) {
	n := len(rows)
	C := mat.NewDense(n, p, nil)
	e := mat.NewVecDense(n, nil)
	wv := mat.NewVecDense(n, nil)
	ones := mat.NewVecDense(n, nil)
	var W, W2 float64
	for r, i := range rows {
		sq := math.Sqrt(w[i])
		for j, v := range X.RawRowView(i) {
			C.Set(r, j, v/sq)
		}
		e.SetVec(r, resid[i]/sq)
		wv.SetVec(r, w[i])
		ones.SetVec(r, 1)
		W += w[i]
		W2 += w[i] * w[i]
	}
	WC := mat.DenseCopyOf(C)
	for r := 0; r < n; r++ {
		row := WC.RawRowView(r)
		for j := range row {
			row[j] *= wv.AtVec(r)
		}
	}
	// An orthonormal basis U of span(C, WC, 1, w).
	Y := mat.NewDense(n, 2*p+2, nil)
	Y.Slice(0, n, 0, p).(*mat.Dense).Copy(C)
	Y.Slice(0, n, p, 2*p).(*mat.Dense).Copy(WC)
	Y.SetCol(2*p, ones.RawVector().Data)
	Y.SetCol(2*p+1, wv.RawVector().Data)
	var svd mat.SVD
	if !svd.Factorize(Y, mat.SVDThin) {
		return nil, false
	}
	sv := svd.Values(nil)
	var Ufull mat.Dense
	svd.UTo(&Ufull)
	rank := 0
	for _, v := range sv {
		if v > 1e-10*sv[0] {
			rank++
		}
	}
	U := Ufull.Slice(0, n, 0, rank)
	// G = (-H - H' + T) U, from the low-rank factors.
	var Q mat.Dense // C M
	Q.Mul(C, Mzz)
	var sg mat.VecDense // Σ_g w² c
	sg.MulVec(WC.T(), wv)
	var WU mat.Dense
	WU.Apply(func(r, _ int, v float64) float64 { return v * wv.AtVec(r) }, U)
	var oneWU, oneU mat.Dense // 1'WU, 1'U (1 x rank)
	oneWU.Mul(ones.T(), &WU)
	oneU.Mul(ones.T(), U)
	G := mat.NewDense(n, rank, nil)
	var t1, t2, part mat.Dense
	// H U = C (M C'WU) + 1 (1'WU)/W
	t1.Mul(C.T(), &WU)
	t2.Mul(Mzz, &t1)
	part.Mul(C, &t2)
	G.Sub(G, &part)
	part.Reset()
	part.Outer(-1/W, ones, oneWU.RowView(0))
	G.Add(G, &part)
	// H'U = W (C (M C'U) + 1 (1'U)/W)
	var hu mat.Dense
	t1.Reset()
	t1.Mul(C.T(), U)
	t2.Reset()
	t2.Mul(Mzz, &t1)
	hu.Mul(C, &t2)
	part.Reset()
	part.Outer(1/W, ones, oneU.RowView(0))
	hu.Add(&hu, &part)
	hu.Apply(func(r, _ int, v float64) float64 { return v * wv.AtVec(r) }, &hu)
	G.Sub(G, &hu)
	// T U = Q S Q'U + (Q s (1'U) + 1 (s'Q'U))/W + (Σw²/W²) 1 (1'U)
	var qtU, sqU, tu mat.Dense
	qtU.Mul(Q.T(), U)
	sqU.Mul(S, &qtU)
	tu.Mul(&Q, &sqU)
	G.Add(G, &tu)
	var qs mat.VecDense
	qs.MulVec(&Q, &sg)
	part.Reset()
	part.Outer(1/W, &qs, oneU.RowView(0))
	G.Add(G, &part)
	var sqtU mat.VecDense // (s'Q'U)'
	sqtU.MulVec(qtU.T(), &sg)
	part.Reset()
	part.Outer(1/W, ones, &sqtU)
	G.Add(G, &part)
	part.Reset()
	part.Outer(W2/(W*W), ones, oneU.RowView(0))
	G.Add(G, &part)
	// Φ = U'G; B restricted to the span is I + Φ.
	var phi mat.Dense
	phi.Mul(U.T(), G)
	B := mat.NewSymDense(rank, nil)
	for a := 0; a < rank; a++ {
		for c := a; c < rank; c++ {
			v := (phi.At(a, c) + phi.At(c, a)) / 2
			if a == c {
				v++
			}
			B.SetSym(a, c, v)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(B, true) {
		return nil, false
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	// a = e + U (V f(Λ) V' - I) U'e, f(λ) = λ^(-1/2) above 1e-12, else 0
	var ue mat.VecDense
	ue.MulVec(U.T(), e)
	var vt mat.VecDense
	vt.MulVec(vecs.T(), &ue)
	for k, l := range vals {
		f := 0.0
		if l > 1e-12 {
			f = 1 / math.Sqrt(l)
		}
		vt.SetVec(k, vt.AtVec(k)*f)
	}
	var back mat.VecDense
	back.MulVec(&vecs, &vt)
	back.SubVec(&back, &ue)
	var a mat.VecDense
	a.MulVec(U, &back)
	a.AddVec(&a, e)
	var b mat.VecDense
	b.MulVec(WC.T(), &a)
	return &b, true
}
