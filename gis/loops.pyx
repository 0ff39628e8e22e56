# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The compiled loops: C, built from this Cython file when the package is installed.

Five loops do the work no vectorised NumPy or GEOS call does as fast, each
for one module, which prepares its arrays and documents its method:

* :func:`ring_areas` — the ellipsoidal area of rings (:mod:`gis.area`);
* :func:`clip_pairs` — the intersection of two convex rings (:mod:`gis.clip`);
* :func:`outline_rings` and :func:`separated_pairs` — convex outlines and the
  separating lines between them (:mod:`gis.separate`);
* :func:`meeting_rows` — the rows whose bounding boxes meet a box of a grid
  (:mod:`gis.window`).

They read polygons as one ``(n, 2)`` array of coordinates and the offsets of
their rings (:func:`gis.kernels.exterior_rings`), write only into the arrays
they are given, and release the GIL, so the callers run them on two threads.
Loading them costs nothing noticeable (numba, which compiled them before, took
0.4–0.7 s of every process's time, holding the GIL).
"""

from libc.math cimport M_PI, cos, fabs, isfinite, sin, sqrt
from libc.stdint cimport int64_t, uint8_t


cdef enum:
    MAX_OUTLINE = 64  # most corners an outline (:func:`outline_rings`) can have


def ring_areas(const double[:, ::1] coords, const int64_t[::1] offsets, double e2, double metres,
               double[::1] out, double[::1] span):
    """Measure each closed ring ``coords[offsets[r]:offsets[r + 1]]``: |Σ x_i y_{i+1} − x_{i+1} y_i| · scale.

    x is the longitude from the ring's first vertex, y the series of the authalic q from its first vertex
    (:func:`gis.area.authalic_series`, computed here per ring); ``metres`` is a·π/180 and ``e2`` the
    ellipsoid's e². ``span[r]`` receives the ring's largest latitude from its first vertex (the caller
    measures wide rings by the closed form instead).
    """
    cdef Py_ssize_t r, v, lo, hi
    cdef double lam0, phi0, s, a2, a3, a4, total, widest, px, py, d, x, y
    with nogil:
        for r in range(offsets.shape[0] - 1):
            lo = offsets[r]
            hi = offsets[r + 1]
            lam0 = coords[lo, 0]
            phi0 = coords[lo, 1]
            _series_at(phi0, e2, metres, &s, &a2, &a3, &a4)
            total = 0.0
            widest = 0.0
            px = 0.0
            py = 0.0
            for v in range(lo, hi):
                d = coords[v, 1] - phi0
                if fabs(d) > widest:
                    widest = fabs(d)
                y = (((a4 * d + a3) * d + a2) * d + 1.0) * d
                x = coords[v, 0] - lam0
                if v > lo:
                    total += px * y - x * py
                px = x
                py = y
            out[r] = fabs(total) * s * (metres / 2)
            span[r] = widest


cdef inline void _series_at(double phi0, double e2, double metres, double *s, double *k2, double *k3,
                            double *k4) noexcept nogil:
    """The authalic series at one latitude (degrees): ``(s, k2, k3, k4)`` of :func:`gis.area.authalic_series`."""
    cdef double rad = M_PI / 180
    cdef double s0 = sin(phi0 * rad)
    cdef double c0 = cos(phi0 * rad)
    cdef double a0 = s0, a1 = c0, a2 = -s0 / 2, a3 = -c0 / 6  # sin(φ₀ + δ)
    cdef double b0 = c0, b1 = -s0, b2 = -c0 / 2, b3 = s0 / 6  # cos(φ₀ + δ)
    cdef double w1 = 2 * a0 * a1, w2 = 2 * a0 * a2 + a1 * a1, w3 = 2 * a0 * a3 + 2 * a1 * a2  # sin²
    cdef double base = 1 - e2 * (a0 * a0)
    cdef double u1 = -e2 * w1 / base, u2 = -e2 * w2 / base, u3 = -e2 * w3 / base  # 1 − e² sin² = base (1 + u)
    cdef double v1 = 0.0, v2 = u1 * u1, v3 = 2 * u1 * u2  # u²
    cdef double t1 = 0.0, t2 = 0.0, t3 = v2 * u1  # u³ (u has no constant term)
    cdef double i1 = -2 * u1 + 3 * v1 - 4 * t1, i2 = -2 * u2 + 3 * v2 - 4 * t2  # (1 + u)⁻²
    cdef double i3 = -2 * u3 + 3 * v3 - 4 * t3
    cdef double scale = (1 - e2) / (base * base)
    cdef double f0 = scale * b0
    cdef double f1 = scale * (b0 * i1 + b1)
    cdef double f2 = scale * (b0 * i2 + b1 * i1 + b2)
    cdef double f3 = scale * (b0 * i3 + b1 * i2 + b2 * i1 + b3)
    s[0] = metres * f0
    k2[0] = f1 * rad / (2 * f0)
    k3[0] = f2 * rad * rad / (3 * f0)
    k4[0] = f3 * rad * rad * rad / (4 * f0)


def clip_pairs(const double[:, ::1] xa, const int64_t[::1] oa, const int64_t[::1] ia,
               const double[:, ::1] xb, const int64_t[::1] ob, const int64_t[::1] ib, double tol,
               double[:, ::1] buffer, const int64_t[::1] starts, int64_t[::1] sizes):
    """Per pair ``k`` of rings ``ia[k]`` of ``xa`` and ``ib[k]`` of ``xb``: clip one by the other (convex).

    Sutherland–Hodgman: the ring convex exactly clips the other, which must be convex to within ``tol``.
    The result goes, closed, to ``buffer[starts[k]:]`` (its room is ``starts[k + 1] - starts[k]`` rows,
    two polygons' worth); ``sizes[k]``: its vertices without the closing one, 0 when clipped away, or -1
    if the rings are not so convex or the result outgrew its room.
    """
    cdef Py_ssize_t k, a0, a1, b0, b1, c0, c1, s0, s1, base, half, m, v, e, q, count, src, dst, w
    cdef int strict_a, loose_a, strict_b, loose_b, sign
    cdef bint full
    cdef double px, py, ex, ey, cx, cy, nx, ny, dc, dn, t
    cdef const double[:, ::1] clip
    cdef const double[:, ::1] subject
    with nogil:
        for k in range(ia.shape[0]):
            a0 = oa[ia[k]]
            a1 = oa[ia[k] + 1] - 1  # open rings: vertices a0 … a1 - 1
            b0 = ob[ib[k]]
            b1 = ob[ib[k] + 1] - 1
            # The clip: a ring convex exactly (no turn the other way at all); the other ring convex to within
            # tol (points placed on an edge may sit a float's noise on either side of it).
            _convexity(xb, b0, b1, tol, &strict_b, &loose_b)
            _convexity(xa, a0, a1, tol, &strict_a, &loose_a)
            if strict_b != 0 and loose_a != 0:
                clip, c0, c1, sign, subject, s0, s1 = xb, b0, b1, strict_b, xa, a0, a1
            elif strict_a != 0 and loose_b != 0:
                clip, c0, c1, sign, subject, s0, s1 = xa, a0, a1, strict_a, xb, b0, b1
            else:
                sizes[k] = -1
                continue
            base = starts[k]
            half = (starts[k + 1] - base) // 2 - 1  # room for a polygon and its closing vertex, twice
            m = s1 - s0
            for v in range(m):
                buffer[base + v, 0] = subject[s0 + v, 0]
                buffer[base + v, 1] = subject[s0 + v, 1]
            src = base
            dst = base + half + 1
            full = False
            for e in range(c1 - c0):
                if m == 0:
                    break
                px = clip[c0 + e, 0]
                py = clip[c0 + e, 1]
                q = c0 + e + 1 if c0 + e + 1 < c1 else c0
                ex = clip[q, 0] - px
                ey = clip[q, 1] - py
                count = 0
                for v in range(m):
                    if count + 2 > half:
                        full = True
                        break
                    cx = buffer[src + v, 0]
                    cy = buffer[src + v, 1]
                    w = src + (v + 1) % m
                    nx = buffer[w, 0]
                    ny = buffer[w, 1]
                    dc = sign * (ex * (cy - py) - ey * (cx - px))  # >= 0: inside the clip's edge
                    dn = sign * (ex * (ny - py) - ey * (nx - px))
                    if dc >= 0.0:
                        buffer[dst + count, 0] = cx
                        buffer[dst + count, 1] = cy
                        count += 1
                        if dn < 0.0:
                            t = dc / (dc - dn)
                            buffer[dst + count, 0] = cx + t * (nx - cx)
                            buffer[dst + count, 1] = cy + t * (ny - cy)
                            count += 1
                    elif dn >= 0.0:
                        t = dc / (dc - dn)
                        buffer[dst + count, 0] = cx + t * (nx - cx)
                        buffer[dst + count, 1] = cy + t * (ny - cy)
                        count += 1
                if full:
                    break
                m = count
                src, dst = dst, src
            if full:
                sizes[k] = -1
                continue
            if m < 3:
                sizes[k] = 0
                continue
            for v in range(m):  # the result to the start of its room, closed
                buffer[base + v, 0] = buffer[src + v, 0]
                buffer[base + v, 1] = buffer[src + v, 1]
            buffer[base + m, 0] = buffer[base, 0]
            buffer[base + m, 1] = buffer[base, 1]
            sizes[k] = m


cdef void _convexity(const double[:, ::1] x, Py_ssize_t r0, Py_ssize_t r1, double tol, int *strict_out,
                     int *loose_out) noexcept nogil:
    """How the open ring ``x[r0:r1]`` is convex: exactly, and to within ``tol``.

    Each is +1 (counter-clockwise), -1 (clockwise) or 0 (not convex): exactly, with no turn the other way at
    all; to within ``tol``, with no vertex turning the other way farther than ``tol`` from the line through
    its neighbours.
    """
    cdef Py_ssize_t n = r1 - r0, v, b, c
    cdef int strict = 0, loose = 0, turn
    cdef bint strict_ok = True
    cdef double ax, ay, cr, span
    strict_out[0] = 0
    loose_out[0] = 0
    if n < 3:
        return
    for v in range(n):
        ax = x[r0 + v, 0]
        ay = x[r0 + v, 1]
        b = r0 + (v + 1) % n
        c = r0 + (v + 2) % n
        cr = (x[b, 0] - ax) * (x[c, 1] - x[b, 1]) - (x[b, 1] - ay) * (x[c, 0] - x[b, 0])
        if cr != 0.0:
            turn = 1 if cr > 0.0 else -1
            if strict == 0:
                strict = turn
            elif turn != strict:
                strict_ok = False
        span = sqrt((x[c, 0] - ax) * (x[c, 0] - ax) + (x[c, 1] - ay) * (x[c, 1] - ay))
        if fabs(cr) > tol * span:
            turn = 1 if cr > 0.0 else -1
            if loose == 0:
                loose = turn
            elif turn != loose:
                return
    strict_out[0] = strict if strict_ok else 0
    loose_out[0] = loose


def outline_rings(const double[:, ::1] xy, const int64_t[::1] starts, double tol, double[:, :, ::1] corners,
                  double[:, :, ::1] normals, double[:, ::1] offsets, int64_t[::1] count):
    """Outline each closed ring ``xy[starts[r]:starts[r + 1]]``; ``count[r]`` 0 where it has none.

    Its corners (vertices farther than ``tol`` from the line through their neighbours, at most
    ``corners.shape[1]``); the check that every vertex is within ``tol`` of the outline; convexity and
    orientation; the outward normals and offsets (:class:`gis.separate.Outlines`).
    """
    cdef Py_ssize_t kmax = corners.shape[1]
    if kmax > MAX_OUTLINE:
        raise ValueError(f"outlines of at most {MAX_OUTLINE} corners, not {kmax}")
    cdef double tol2 = tol * tol
    cdef Py_ssize_t idx[MAX_OUTLINE]
    cdef Py_ssize_t r, a, m, k, v, p, q, c, s, e, f
    cdef bint ok
    cdef double cx, cy, cr, ax, ay, bx, by, length2, d, area2, sign, ex, ey, fx, fy, length, nx, ny
    with nogil:
        for r in range(starts.shape[0] - 1):
            a = starts[r]
            m = starts[r + 1] - a - 1  # vertices without the closing one
            count[r] = 0
            if m < 3:
                continue
            k = 0
            ok = True
            for v in range(m):  # corners: farther than tol from the line through the neighbours
                p = a + (v + m - 1) % m
                q = a + (v + 1) % m
                cx = xy[q, 0] - xy[p, 0]
                cy = xy[q, 1] - xy[p, 1]
                cr = cx * (xy[a + v, 1] - xy[p, 1]) - cy * (xy[a + v, 0] - xy[p, 0])
                if cr * cr > tol2 * (cx * cx + cy * cy):
                    if k == kmax:
                        ok = False
                        break
                    idx[k] = a + v
                    k += 1
            if not ok or k < 3:
                continue
            for c in range(k):  # every vertex between two corners within tol of the chord between them
                s = idx[c]
                e = idx[(c + 1) % k]
                ax = xy[s, 0]
                ay = xy[s, 1]
                bx = xy[e, 0] - ax
                by = xy[e, 1] - ay
                length2 = bx * bx + by * by
                v = s + 1 if s + 1 < a + m else a
                while v != e:
                    d = bx * (xy[v, 1] - ay) - by * (xy[v, 0] - ax)
                    if d * d > tol2 * length2:
                        ok = False
                        break
                    v = v + 1 if v + 1 < a + m else a
                if not ok:
                    break
            if not ok:
                continue
            area2 = 0.0
            for c in range(k):
                s = idx[c]
                e = idx[(c + 1) % k]
                area2 += xy[s, 0] * xy[e, 1] - xy[e, 0] * xy[s, 1]
            sign = 1.0 if area2 > 0 else -1.0  # +1 counter-clockwise
            for c in range(k):  # convex: every turn the same way (to within tol)
                s = idx[c]
                e = idx[(c + 1) % k]
                f = idx[(c + 2) % k]
                ex = xy[e, 0] - xy[s, 0]
                ey = xy[e, 1] - xy[s, 1]
                fx = xy[f, 0] - xy[e, 0]
                fy = xy[f, 1] - xy[e, 1]
                length = sqrt(ex * ex + ey * ey)
                if length == 0.0 or sign * (ex * fy - ey * fx) < -tol * length:
                    ok = False
                    break
            if not ok:
                continue
            for c in range(k):
                s = idx[c]
                e = idx[(c + 1) % k]
                ex = xy[e, 0] - xy[s, 0]
                ey = xy[e, 1] - xy[s, 1]
                length = sqrt(ex * ex + ey * ey)
                nx = sign * ey / length
                ny = -sign * ex / length
                corners[r, c, 0] = xy[s, 0]
                corners[r, c, 1] = xy[s, 1]
                normals[r, c, 0] = nx
                normals[r, c, 1] = ny
                offsets[r, c] = nx * xy[s, 0] + ny * xy[s, 1]
            count[r] = k


def separated_pairs(const double[:, :, ::1] ca, const double[:, :, ::1] na, const double[:, ::1] oa,
                    const int64_t[::1] ka, const int64_t[::1] i, const double[:, :, ::1] cb,
                    const double[:, :, ::1] nb, const double[:, ::1] ob, const int64_t[::1] kb,
                    const int64_t[::1] j, double tol, uint8_t[::1] out):
    """Per pair ``(i[t], j[t])``: 1 where some edge line of one outline has every corner of the other outside
    it or within ``tol`` of it (:func:`gis.separate.separated`)."""
    cdef Py_ssize_t t, p, q
    with nogil:
        for t in range(i.shape[0]):
            p = i[t]
            q = j[t]
            out[t] = (ka[p] != 0 and kb[q] != 0
                      and (_edge_separates(na, oa, p, ka[p], cb, q, kb[q], tol)
                           or _edge_separates(nb, ob, q, kb[q], ca, p, ka[p], tol)))


cdef inline bint _edge_separates(const double[:, :, ::1] normals, const double[:, ::1] offsets, Py_ssize_t x,
                                 Py_ssize_t edges, const double[:, :, ::1] corners, Py_ssize_t y,
                                 Py_ssize_t count, double tol) noexcept nogil:
    """Whether the line of some edge of outline ``x`` has all ``count`` corners of outline ``y`` outside it or
    within ``tol`` of it."""
    cdef Py_ssize_t e, v
    cdef double limit
    cdef bint clear
    for e in range(edges):
        limit = offsets[x, e] - tol
        clear = True
        for v in range(count):
            if normals[x, e, 0] * corners[y, v, 0] + normals[x, e, 1] * corners[y, v, 1] < limit:
                clear = False
                break
        if clear:
            return True
    return False


def meeting_rows(const double[:, ::1] bounds, const double[:, ::1] boxes, double x0, double y0, double cell,
                 Py_ssize_t nx, Py_ssize_t ny, const int64_t[::1] starts, const int64_t[::1] owners,
                 const int64_t[::1] wide, Py_ssize_t span_cells, uint8_t[::1] out):
    """Flag in ``out`` the rows of ``bounds`` meeting a box (:func:`gis.window.rows_meeting`).

    The boxes of grid cell ``c`` (``nx`` by ``ny`` cells of side ``cell`` from ``(x0, y0)``, cell ``i * ny +
    j``) are ``owners[starts[c]:starts[c + 1]]``; the boxes ``wide`` span too many cells to be registered and
    are tested against every row; a row spanning more than ``span_cells`` cells is tested against every box.
    """
    cdef Py_ssize_t r, w, b, i, j, c, kk, i0, i1, j0, j1
    cdef double bx0, by0, bx1, by1, fi0, fi1, fj0, fj1
    cdef bint hit
    with nogil:
        for r in range(bounds.shape[0]):
            out[r] = 0
            bx0 = bounds[r, 0]
            by0 = bounds[r, 1]
            bx1 = bounds[r, 2]
            by1 = bounds[r, 3]
            if not (isfinite(bx0) and isfinite(by0) and isfinite(bx1) and isfinite(by1)):
                continue
            hit = False
            for kk in range(wide.shape[0]):
                w = wide[kk]
                if bx0 <= boxes[w, 2] and bx1 >= boxes[w, 0] and by0 <= boxes[w, 3] and by1 >= boxes[w, 1]:
                    hit = True
                    break
            if not hit:
                fi0 = (bx0 - x0) / cell
                fi1 = (bx1 - x0) / cell
                fj0 = (by0 - y0) / cell
                fj1 = (by1 - y0) / cell
                if fi1 < 0 or fj1 < 0 or fi0 >= nx or fj0 >= ny:
                    continue
                # Clamped before the conversion: a row far wider than the grid would overflow.
                i0 = <Py_ssize_t>(fi0 if fi0 > 0.0 else 0.0)
                i1 = <Py_ssize_t>(fi1 if fi1 < nx - 1.0 else nx - 1.0)
                j0 = <Py_ssize_t>(fj0 if fj0 > 0.0 else 0.0)
                j1 = <Py_ssize_t>(fj1 if fj1 < ny - 1.0 else ny - 1.0)
                if (i1 - i0 + 1) * (j1 - j0 + 1) > span_cells:  # a big row: every box
                    for b in range(boxes.shape[0]):
                        if (bx0 <= boxes[b, 2] and bx1 >= boxes[b, 0] and by0 <= boxes[b, 3]
                                and by1 >= boxes[b, 1]):
                            hit = True
                            break
                else:
                    for i in range(i0, i1 + 1):
                        for j in range(j0, j1 + 1):
                            c = i * ny + j
                            for kk in range(starts[c], starts[c + 1]):
                                b = owners[kk]
                                if (bx0 <= boxes[b, 2] and bx1 >= boxes[b, 0] and by0 <= boxes[b, 3]
                                        and by1 >= boxes[b, 1]):
                                    hit = True
                                    break
                            if hit:
                                break
                        if hit:
                            break
            out[r] = hit
