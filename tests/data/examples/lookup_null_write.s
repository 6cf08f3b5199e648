# The 3.18 verifier log example: a map lookup whose NULL branch writes through R0.
# bpfscope verify --profile linux-3.18 tests/data/examples/lookup_null_write.s
.map m unspec key=8 value=8 max=1024
*(u64 *)(r10 -8) = 0
r2 = r10
r2 += -8
r1 = map[m] ll
call 0
if r0 == 0 goto +2
*(u64 *)(r0 +0) = 0
exit
*(u64 *)(r0 +0) = 1
exit
