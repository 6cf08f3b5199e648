r0 = 99999999999999999999999
r1 = 0x7fffffffffffffffff ll
if r0 > -2147483649 goto +0
exit
