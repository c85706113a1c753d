/* hh_cable.c -- the "one core" limit for the benchmark HH cable.
 *
 * Model (same as arbor_scaling.py here):
 * one unbranched cable of n compartments, radius 1 um, 10 um per compartment,
 * Ra 5000 ohm cm, cm 1 uF/cm2, NEURON's hh everywhere (gnabar .12, gkbar .036,
 * gl .0003, el -54.3, ena 50, ek -77, 6.3 degC), 0.5 nA from 0.5 to 3.5 ms into
 * compartment 0, v_init -70 mV, dt 0.025 ms, 200 steps = 5 ms.
 *
 * Scheme = NEURON's fixed step (secondorder 0), per step:
 *   1. stimulus evaluated at t + dt/2 (IClamp: on while del <= t < del+dur);
 *   2. ionic currents and their conductance at (v, m, h, n), explicit axial current;
 *   3. backward Euler for dv: (cm/dt + g + axial) dv = rhs, Hines/Thomas solve
 *      (eliminate from the distal end towards the root, then back-substitute);
 *   4. v += dv;
 *   5. gates by NEURON's cnexp: m += (1 - exp(-dt/mtau)) (minf - m) at the new v,
 *      rates from the hh.mod formulas with exp() (vtrap for the 0/0 points), no tables.
 * NEURON's zero-area end nodes (x=0, x=1) carry no current and are left out (sealed ends).
 * Units as in NEURON: mV, ms, mA/cm2, conductances per membrane area.
 *
 * Two kernels, same arithmetic up to rounding:
 *   ref  : literal hh.mod formulas, libm exp, one loop per phase (plain, portable C).
 *   fast : SIMD-friendly: inlined polynomial exp (~1 ulp), 6 exp and 3 divisions per
 *          compartment-step instead of 9 and ~20 (see block_work), and the gate/current/
 *          assembly work of a block of compartments is done right before the serial
 *          elimination of that block (one pass over memory per step, plus the back
 *          substitution).
 *          -DTWIST: eliminate from both ends towards the middle (two independent
 *          recurrences, "burn at both ends"); still a direct tridiagonal solve.
 * Precision: float64 by default, -DF32 for float32.
 * -DPADE (ref kernel only): gates with Arbor's Pade(1,1) instead of exp, to match Arbor.
 * -DSKIP_HH / -DSKIP_FWD / -DSKIP_BWD (fast kernel, Thomas only): drop one phase, for a
 *   timing breakdown only (the results are then wrong).
 *
 * Build: gcc -O3 -march=native -mprefer-vector-width=512 -fopenmp-simd -o hh_cable hh_cable.c -lm
 *        (see Makefile: also the -DTWIST and -DF32 builds)
 * Run:   ./hh_cable [--kernel ref|fast] [--reps R] [--dump FILE] N [N ...]
 *   prints one JSON line per N: median wall time of R runs (after one warm-up) for the
 *   whole 200-step run including initialisation, and ns per compartment-step.
 *   --dump FILE writes the last N's trace: lines "t v_first v_last", 201 rows (t = 0..5).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef F32
typedef float real;
#define IS_F32 1
#define RABS(x) fabsf(x)
#else
typedef double real;
#define IS_F32 0
#define RABS(x) fabs(x)
#endif

/* ---------------- model constants ---------------- */
#define NSTEPS 200
static const double DT = 0.025, CM = 1.0, RA = 5000.0, RADIUS = 1.0, LCOMP = 10.0;
static const double GNABAR = 0.12, GKBAR = 0.036, GL = 0.0003, EL = -54.3, ENA = 50.0, EK = -77.0;
static const double CELSIUS = 6.3, VINIT = -70.0;
static const double STIM_DEL = 0.5, STIM_DUR = 3.0, STIM_AMP = 0.5; /* ms, ms, nA */

static double now(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* derived, NEURON units */
typedef struct { double cfac, k, stim, q10; } consts_t;
static consts_t derived(void) {
    consts_t c;
    double area = M_PI * 2.0 * RADIUS * LCOMP;                     /* um2 */
    double ri = 1e-2 * RA * LCOMP / (M_PI * RADIUS * RADIUS);       /* Mohm between nodes */
    c.cfac = CM * 1e-3 / DT;                                         /* mA/cm2/mV */
    c.k = 1e2 / (ri * area);                                         /* mA/cm2/mV */
    c.stim = 1e2 * STIM_AMP / area;                                  /* mA/cm2 */
    c.q10 = pow(3.0, (CELSIUS - 6.3) / 10.0);
    return c;
}
static int stim_on(int step) { /* NEURON evaluates IClamp at t + dt/2 */
    double t = (step + 0.5) * DT;
    return t >= STIM_DEL && t < STIM_DEL + STIM_DUR;
}

typedef struct {
    int n;
    real *v, *m, *h, *nn, *d, *r, *e, *y;   /* state, diagonal, rhs, 1/pivot, scaled rhs */
    double *rec;                             /* 2*(NSTEPS+1): v first, v last */
} cable_t;

static void *xalloc(size_t bytes) {
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64)) { perror("alloc"); exit(1); }
    memset(p, 0, bytes);
    return p;
}
static cable_t cable_new(int n) {
    cable_t c; c.n = n;
    size_t b = (size_t)(n + 16) * sizeof(real);
    c.v = (real *)xalloc(b + 16 * sizeof(real)) + 8;  /* v[-1], v[n] are ghosts */
    c.m = xalloc(b); c.h = xalloc(b); c.nn = xalloc(b);
    c.d = xalloc(b); c.r = xalloc(b); c.e = xalloc(b); c.y = xalloc(b);
    c.rec = xalloc(2 * (NSTEPS + 1) * sizeof(double));
    return c;
}
static void cable_free(cable_t *c) {
    free(c->v - 8); free(c->m); free(c->h); free(c->nn); free(c->d); free(c->r); free(c->e); free(c->y);
    free(c->rec);
}

/* ================= ref kernel: literal hh.mod, libm exp ================= */
static double vtrap(double x, double y) {
    if (fabs(x / y) < 1e-6) return y * (1 - x / y / 2);
    return x / (exp(x / y) - 1);
}
static void rates_ref(double v, double q10, double *minf, double *mtau, double *hinf,
                      double *htau, double *ninf, double *ntau) {
    double alpha, beta, sum;
    alpha = .1 * vtrap(-(v + 40), 10); beta = 4 * exp(-(v + 65) / 18);
    sum = alpha + beta; *mtau = 1 / (q10 * sum); *minf = alpha / sum;
    alpha = .07 * exp(-(v + 65) / 20); beta = 1 / (exp(-(v + 35) / 10) + 1);
    sum = alpha + beta; *htau = 1 / (q10 * sum); *hinf = alpha / sum;
    alpha = .01 * vtrap(-(v + 55), 10); beta = .125 * exp(-(v + 65) / 80);
    sum = alpha + beta; *ntau = 1 / (q10 * sum); *ninf = alpha / sum;
}

/* -DPADE: Arbor's modcc "cnexp" replaces exp(-dt/tau) by its (1,1) Pade approximant
 * (exp_pade_11); used only to show that this is what separates Arbor from NEURON. */
#ifdef PADE
#define DECAY(z) ((1 + 0.5 * (z)) / (1 - 0.5 * (z)))
#else
#define DECAY(z) exp(z)
#endif
static void run_ref(cable_t *c, consts_t K) {
    const int n = c->n;
    real *v = c->v, *m = c->m, *h = c->h, *nn = c->nn, *d = c->d, *r = c->r;
    const double k = K.k;
    for (int i = 0; i < n; i++) { /* finitialize */
        double mi, mt, hi, ht, ni, nt;
        v[i] = VINIT;
        rates_ref(v[i], K.q10, &mi, &mt, &hi, &ht, &ni, &nt);
        m[i] = mi; h[i] = hi; nn[i] = ni;
    }
    c->rec[0] = v[0]; c->rec[1] = v[n - 1];
    for (int s = 0; s < NSTEPS; s++) {
        /* currents, conductances, explicit axial current, matrix diagonal */
        for (int i = 0; i < n; i++) {
            double vi = v[i];
            double gna = GNABAR * m[i] * m[i] * m[i] * h[i];
            double gk = GKBAR * nn[i] * nn[i] * nn[i] * nn[i];
            double iion = gna * (vi - ENA) + gk * (vi - EK) + GL * (vi - EL);
            double ax = 0, dg = 0;
            if (i > 0) { ax += k * (v[i - 1] - vi); dg += k; }
            if (i < n - 1) { ax += k * (v[i + 1] - vi); dg += k; }
            r[i] = -iion + ax;
            d[i] = K.cfac + gna + gk + GL + dg;
        }
        if (stim_on(s)) r[0] += K.stim;
        /* Hines: eliminate from the distal end towards the root */
        for (int i = n - 1; i > 0; i--) {
            double f = -k / d[i];
            d[i - 1] -= f * (-k);
            r[i - 1] -= f * r[i];
        }
        r[0] /= d[0];
        for (int i = 1; i < n; i++) r[i] = (r[i] + k * r[i - 1]) / d[i];
        for (int i = 0; i < n; i++) v[i] += r[i];
        /* gates, cnexp at the new v */
        for (int i = 0; i < n; i++) {
            double mi, mt, hi, ht, ni, nt;
            rates_ref(v[i], K.q10, &mi, &mt, &hi, &ht, &ni, &nt);
            m[i] += (1 - DECAY(-DT / mt)) * (mi - m[i]);
            h[i] += (1 - DECAY(-DT / ht)) * (hi - h[i]);
            nn[i] += (1 - DECAY(-DT / nt)) * (ni - nn[i]);
        }
        c->rec[2 * (s + 1)] = v[0]; c->rec[2 * (s + 1) + 1] = v[n - 1];
    }
}

/* ================= fast kernel ================= */
/* exp by Cody-Waite reduction + degree-13 Taylor polynomial (max rel. error ~2e-16 in
 * float64), branch-free and vectorisable. Domain: |x| <= 700 (float32: |x| <= 87); the
 * caller guarantees it (see block_work). */
static inline __attribute__((always_inline)) real vexp(real x) {
#if IS_F32
    const float sh = 0x1.8p23f;
    float t = x * 0x1.715476p0f + sh;          /* round(x/ln2) in the low mantissa bits */
    float nf = t - sh;
    float rr = x - nf * 0.693359375f;          /* cephes ln2 split */
    rr = rr + nf * 2.12194440e-4f;
    float p = 1.f / 5040.f;
    p = p * rr + 1.f / 720.f; p = p * rr + 1.f / 120.f; p = p * rr + 1.f / 24.f;
    p = p * rr + 1.f / 6.f; p = p * rr + 0.5f; p = p * rr + 1.f; p = p * rr + 1.f;
    int32_t ti; memcpy(&ti, &t, 4);
    int32_t si = (ti - 0x4b400000 + 127) << 23;  /* 2^n */
    float sc; memcpy(&sc, &si, 4);
    return p * sc;
#else
    const double sh = 0x1.8p52;
    double t = x * 0x1.71547652b82fep0 + sh;
    double nd = t - sh;
    double rr = x - nd * 0x1.62e42fee00000p-1;  /* fdlibm ln2 split */
    rr = rr - nd * 0x1.a39ef35793c76p-33;
    double p = 1. / 6227020800.;                 /* 1/13! */
    p = p * rr + 1. / 479001600.; p = p * rr + 1. / 39916800.; p = p * rr + 1. / 3628800.;
    p = p * rr + 1. / 362880.;    p = p * rr + 1. / 40320.;    p = p * rr + 1. / 5040.;
    p = p * rr + 1. / 720.;       p = p * rr + 1. / 120.;      p = p * rr + 1. / 24.;
    p = p * rr + 1. / 6.;         p = p * rr + 0.5;            p = p * rr + 1.;
    p = p * rr + 1.;
    int64_t ti; memcpy(&ti, &t, 8);
    int64_t si = (ti - 0x4338000000000000LL + 1023) << 52;
    double sc; memcpy(&sc, &si, 8);
    return p * sc;
#endif
}

/* For compartments [lo, hi): if do_gates, the cnexp gate update at the current v (the
 * last phase of the previous step, fused here); then ionic current, conductance, explicit
 * axial current -> rhs r[] and diagonal d[] of this step.
 * Rearranged hh.mod rates (same values up to rounding):
 *   exp(-(v+40)/10), exp(-(v+35)/10), exp(-(v+55)/10) = exp(-v/10) * const;
 *   exp(-(v+65)/20) = exp(-(v+65)/80)^4;  with alpha = N/D, beta = B:
 *   inf = N/(N + B D), 1/tau = (N + B D)/D, from one division r = 1/((N + B D) D).
 * So 6 exp and 3 divisions per compartment.  v is clamped to +-1000 mV for the rates
 * and the decay exponent to >= -700 only to keep vexp in its domain (no effect here). */
#define C40 ((real)0.018315638888734179)  /* exp(-4)   */
#define C35 ((real)0.030197383422318501)  /* exp(-3.5) */
#define C55 ((real)0.0040867714384640666) /* exp(-5.5) */
#define VLIM ((real)1000)
#define XLIM ((real)(IS_F32 ? -87 : -700))
static inline __attribute__((always_inline)) void
block_work(int lo, int hi, int n, int do_gates, real *restrict v, real *restrict m, real *restrict h,
           real *restrict nn, real *restrict d, real *restrict r, real k, real cfac, real dtq) {
#pragma omp simd
    for (int i = lo; i < hi; i++) {
        real vi = v[i], mi = m[i], hi_ = h[i], ni = nn[i];
        if (do_gates) {
            real vc = vi < -VLIM ? -VLIM : (vi > VLIM ? VLIM : vi);
            real e10 = vexp(-vc * (real)0.1);
            real e80 = vexp(-(vc + (real)65) * (real)0.0125), e40 = e80 * e80, e20 = e40 * e40;
            real e18 = vexp(-(vc + (real)65) * (real)(1.0 / 18.0));
            /* m: alpha = x/(exp(x)-1), x = -(v+40)/10 (vtrap); beta = 4 exp(-(v+65)/18) */
            real xm = -(vc + (real)40) * (real)0.1;
            real Nm = xm, Dm = e10 * C40 - (real)1;
            if (RABS(xm) < (real)1e-6) { Nm = (real)1 - xm * (real)0.5; Dm = (real)1; }
            real Sm = Nm + (real)4 * e18 * Dm, rm = (real)1 / (Sm * Dm);
            real minf = Nm * Dm * rm, am = -dtq * (Sm * Sm * rm);
            /* h: alpha = .07 exp(-(v+65)/20); beta = 1/(exp(-(v+35)/10) + 1) */
            real Ah = (real)0.07 * e20, Eh = e10 * C35 + (real)1;
            real Sh = Ah * Eh + (real)1, rh = (real)1 / (Sh * Eh);
            real hinf = Ah * Eh * Eh * rh, ah = -dtq * (Sh * Sh * rh);
            /* n: alpha = .1 x/(exp(x)-1), x = -(v+55)/10 (vtrap); beta = .125 exp(-(v+65)/80) */
            real xn = -(vc + (real)55) * (real)0.1;
            real Nn = (real)0.1 * xn, Dn = e10 * C55 - (real)1;
            if (RABS(xn) < (real)1e-6) { Nn = (real)0.1 * ((real)1 - xn * (real)0.5); Dn = (real)1; }
            real Sn = Nn + (real)0.125 * e80 * Dn, rn = (real)1 / (Sn * Dn);
            real ninf = Nn * Dn * rn, an = -dtq * (Sn * Sn * rn);
            /* cnexp: s += (1 - exp(-dt/tau)) (inf - s) */
            am = am < XLIM ? XLIM : am; ah = ah < XLIM ? XLIM : ah; an = an < XLIM ? XLIM : an;
            mi = mi + ((real)1 - vexp(am)) * (minf - mi);
            hi_ = hi_ + ((real)1 - vexp(ah)) * (hinf - hi_);
            ni = ni + ((real)1 - vexp(an)) * (ninf - ni);
            m[i] = mi; h[i] = hi_; nn[i] = ni;
        }
        real m3h = mi * mi * mi * hi_, n2 = ni * ni;
        real gna = (real)GNABAR * m3h, gk = (real)GKBAR * n2 * n2;
        real iion = gna * (vi - (real)ENA) + gk * (vi - (real)EK) + (real)GL * (vi - (real)EL);
        /* v[-1] and v[n] are ghost copies of v[0] and v[n-1] (sealed ends) */
        real dg = (i > 0 ? k : (real)0) + (i < n - 1 ? k : (real)0);
        r[i] = -iion + k * (v[i - 1] - vi) + k * (v[i + 1] - vi);
        d[i] = cfac + gna + gk + (real)GL + dg;
    }
}
#ifndef BLOCK
#define BLOCK 16
#endif
/* full blocks get a compile-time trip count (clean SIMD code, no remainder loop) */
#define BLOCK_WORK(lo, hi) \
    do { if ((hi) - (lo) == BLOCK) { \
             if (gates) block_work(lo, (lo) + BLOCK, n, 1, v, m, h, nn, d, r, k, cfac, dtq); \
             else block_work(lo, (lo) + BLOCK, n, 0, v, m, h, nn, d, r, k, cfac, dtq); \
         } else { \
             if (gates) block_work(lo, hi, n, 1, v, m, h, nn, d, r, k, cfac, dtq); \
             else block_work(lo, hi, n, 0, v, m, h, nn, d, r, k, cfac, dtq); } } while (0)

static void run_fast(cable_t *c, consts_t K) {
    const int n = c->n;
    real *restrict v = c->v, *restrict m = c->m, *restrict h = c->h, *restrict nn = c->nn;
    real *restrict d = c->d, *restrict r = c->r, *restrict e = c->e, *restrict y = c->y;
    const real k = (real)K.k, k2 = k * k, cfac = (real)K.cfac, dtq = (real)(DT * K.q10);
    /* finitialize: v = vinit, gates at steady state (ref formulas, once) */
    for (int i = 0; i < n; i++) {
        double mi, mt, hi, ht, ni, nt;
        v[i] = (real)VINIT;
        rates_ref(VINIT, K.q10, &mi, &mt, &hi, &ht, &ni, &nt);
        m[i] = (real)mi; h[i] = (real)hi; nn[i] = (real)ni;
    }
    c->rec[0] = v[0]; c->rec[1] = v[n - 1];
    v[-1] = v[0]; v[n] = v[n - 1];
    for (int s = 0; s < NSTEPS; s++) {
        const int gates = s > 0;  /* the gate update of step s-1 is fused into this pass */
        const real stim = stim_on(s) ? (real)K.stim : (real)0;
#ifndef TWIST
        /* Hines/Thomas.  Blocks from the distal end: [gates + currents + assembly] (SIMD),
         * then the serial elimination of that block, recurrence on 1/pivot e and y = r'/pivot:
         *   e_i = 1/(d_i - k^2 e_{i+1}),  y_i = (r_i + k y_{i+1}) e_i                     */
        real ep = 0, yp = 0;
        for (int hi = n; hi > 0; hi -= BLOCK) {
            int lo = hi - BLOCK > 0 ? hi - BLOCK : 0;
#ifndef SKIP_HH
            BLOCK_WORK(lo, hi);
#endif
            if (lo == 0) r[0] += stim;
#ifndef SKIP_FWD
            for (int i = hi - 1; i >= lo; i--) {
                real ei = (real)1 / (d[i] - k2 * ep);
                real yi = (r[i] + k * yp) * ei;
                e[i] = ei; y[i] = yi; ep = ei; yp = yi;
            }
#endif
        }
        /* back substitution from the root: x_i = y_i + k e_i x_{i-1};  v += x */
        real xp = 0;
#ifndef SKIP_BWD
        for (int i = 0; i < n; i++) {
            real xi = y[i] + k * e[i] * xp;
            v[i] += xi; xp = xi;
        }
#endif
#else
        /* Twisted ("burn at both ends"): rows [0, mid) are eliminated upwards from row 0 and
         * rows (mid, n) downwards from row n-1 -- two independent recurrences in one loop --
         * then row mid is solved and the back substitution runs outwards, again two chains.
         * Assembly is fused per block pair as above. */
        const int mid = n / 2;
        real ea = 0, ya = 0, eb = 0, yb = 0;
        for (int a0 = 0; a0 < mid; a0 += BLOCK) {
            int a1 = a0 + BLOCK < mid ? a0 + BLOCK : mid;          /* rows [a0, a1) */
            int b1 = n - a0, b0 = n - a1 > mid + 1 ? n - a1 : mid + 1; /* rows [b0, b1) */
            BLOCK_WORK(a0, a1);
            if (b0 < b1) BLOCK_WORK(b0, b1);
            if (a0 == 0) r[0] += stim;
            int ia = a0, ib = b1 - 1;
            for (; ia < a1 && ib >= b0; ia++, ib--) {
                real eai = (real)1 / (d[ia] - k2 * ea), yai = (r[ia] + k * ya) * eai;
                real ebi = (real)1 / (d[ib] - k2 * eb), ybi = (r[ib] + k * yb) * ebi;
                e[ia] = eai; y[ia] = yai; ea = eai; ya = yai;
                e[ib] = ebi; y[ib] = ybi; eb = ebi; yb = ybi;
            }
            for (; ia < a1; ia++) { real eai = (real)1 / (d[ia] - k2 * ea), yai = (r[ia] + k * ya) * eai; e[ia] = eai; y[ia] = yai; ea = eai; ya = yai; }
            for (; ib >= b0; ib--) { real ebi = (real)1 / (d[ib] - k2 * eb), ybi = (r[ib] + k * yb) * ebi; e[ib] = ebi; y[ib] = ybi; eb = ebi; yb = ybi; }
        }
        BLOCK_WORK(mid, mid + 1);
        if (mid == 0) r[0] += stim;
        {
            real kb = mid + 1 < n ? k : (real)0;  /* n == 2: no row above mid */
            real xm = (r[mid] + k * ya + kb * yb) / (d[mid] - k2 * ea - kb * kb * eb);
            v[mid] += xm;
            real xa = xm, xb = xm;
            int ia = mid - 1, ib = mid + 1;
            for (; ia >= 0 && ib < n; ia--, ib++) {
                real xai = y[ia] + k * e[ia] * xa, xbi = y[ib] + k * e[ib] * xb;
                v[ia] += xai; xa = xai; v[ib] += xbi; xb = xbi;
            }
            for (; ia >= 0; ia--) { real xai = y[ia] + k * e[ia] * xa; v[ia] += xai; xa = xai; }
            for (; ib < n; ib++) { real xbi = y[ib] + k * e[ib] * xb; v[ib] += xbi; xb = xbi; }
        }
#endif
        v[-1] = v[0]; v[n] = v[n - 1];
        c->rec[2 * (s + 1)] = v[0]; c->rec[2 * (s + 1) + 1] = v[n - 1];
    }
    /* final gate update (state at t = 5 ms), for completeness */
    const int gates = 1;
    for (int lo = 0; lo < n; lo += BLOCK) {
        int hi = lo + BLOCK < n ? lo + BLOCK : n;
        BLOCK_WORK(lo, hi);
    }
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    const char *kernel = "fast", *dump = NULL;
    int reps = 5;
    int ns[64], nn = 0;
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--kernel") && a + 1 < argc) kernel = argv[++a];
        else if (!strcmp(argv[a], "--reps") && a + 1 < argc) reps = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--dump") && a + 1 < argc) dump = argv[++a];
        else if (nn < 64) ns[nn++] = atoi(argv[a]);
    }
    if (!nn || reps < 1 || reps > 99) {
        fprintf(stderr, "usage: %s [--kernel ref|fast] [--reps R] [--dump FILE] N [N ...]\n", argv[0]);
        return 2;
    }
    int fast = !strcmp(kernel, "fast");
    if (!fast && strcmp(kernel, "ref")) { fprintf(stderr, "kernel: ref or fast\n"); return 2; }
    if (!fast && IS_F32) { fprintf(stderr, "the ref kernel is float64 only\n"); return 2; }
#ifdef PADE
    if (!fast) kernel = "ref-pade";
#endif
    consts_t K = derived();
#ifdef TWIST
    const char *solver = "twisted";
#else
    const char *solver = "thomas";
#endif
    for (int j = 0; j < nn; j++) {
        int n = ns[j];
        if (n < 2) { fprintf(stderr, "n >= 2\n"); return 2; }
        cable_t c = cable_new(n);
        double ts[100];
        for (int rep = -1; rep < reps; rep++) {
            double t0 = now();
            if (fast) run_fast(&c, K); else run_ref(&c, K);
            double t1 = now();
            if (rep >= 0) ts[rep] = t1 - t0;
        }
        qsort(ts, reps, sizeof(double), cmp);
        double med = ts[reps / 2];
        double vmax0 = -1e9, vmax1 = -1e9;
        for (int s = 0; s <= NSTEPS; s++) {
            if (c.rec[2 * s] > vmax0) vmax0 = c.rec[2 * s];
            if (c.rec[2 * s + 1] > vmax1) vmax1 = c.rec[2 * s + 1];
        }
        printf("{\"sim\": \"c-limit\", \"kernel\": \"%s\", \"solver\": \"%s\", \"real\": \"%s\", \"n\": %d, "
               "\"steps\": %d, \"fwd_s\": %.6e, \"min_s\": %.6e, \"ns_per_comp_step\": %.3f, "
               "\"vmax0\": %.12g, \"vmax_end\": %.12g}\n",
               kernel, fast ? solver : "thomas", IS_F32 ? "float32" : "float64", n, NSTEPS, med, ts[0],
               med / ((double)n * NSTEPS) * 1e9, vmax0, vmax1);
        fflush(stdout);
        if (dump && j == nn - 1) {
            FILE *f = fopen(dump, "w");
            if (!f) { perror(dump); return 1; }
            for (int s = 0; s <= NSTEPS; s++)
                fprintf(f, "%.17g %.17g %.17g\n", s * DT, c.rec[2 * s], c.rec[2 * s + 1]);
            fclose(f);
        }
        cable_free(&c);
    }
    return 0;
}
