# The table of server_bench.sh, from its lines: label, set, connections, then
# loadgen --tsv's figures (answers/s, mean, p50, p99, max, answers, errors,
# connections opened, CPUs the loadgen kept busy).
{
    key = $2 SUBSEP $3
    rate[$1, key] = $4
    if (!($1 in seen)) { seen[$1] = 1; labels[++nl] = $1 }
    if (!(key in kseen)) { kseen[key] = 1; keys[++nk] = key }
    row[NR] = sprintf("%-14s %-15s %6s %11.1f %9.3f %9.3f %7s %6s %7s", $1, $2, $3, $4, $6, $7, $10,
                      $11, $12)
}
END {
    printf "%-14s %-15s %6s %11s %9s %9s %7s %6s %7s\n", "server", "set", "conns", "answers/s",
           "p50 ms", "p99 ms", "errors", "opened", "lg CPU"
    for (i = 1; i <= NR; i++) print row[i]
    printf "\n%-14s %-15s %6s %16s %18s\n", "ratio of", "set", "conns", "/ echo", "/ NLP.js"
    for (l = 1; l <= nl; l++) {
        if (labels[l] !~ /^Passerelle/) continue
        for (k = 1; k <= nk; k++) {
            split(keys[k], p, SUBSEP)
            r = rate[labels[l], keys[k]]
            e = rate["echo", keys[k]]
            n = rate["NLP.js", keys[k]]
            printf "%-14s %-15s %6s %16s %18s\n", labels[l], p[1], p[2],
                   (e > 0 ? sprintf("%.3f", r / e) : "n/a"), (n > 0 ? sprintf("%.2f", r / n) : "n/a")
        }
    }
}
