-- The corpus's known-answer test of lua5.4 (tests/compat): the language,
-- its libraries and the system calls behind io and os.
local t = {}
for i = 1, 10 do t[#t + 1] = i * i end
print("squares", table.concat(t, ","))
print("fib", (function(n) local a, b = 0, 1 for _ = 1, n do a, b = b, a + b end return a end)(80))
print("gsub", (string.gsub("hello unik world", "(%w+)", "<%1>")))
print("format", string.format("%5.2f|%x|%q", math.pi, 255, "a\nb"))
local co = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
print("coroutine", co(), co(), co())
print("pcall", pcall(error, {code = 7}) == false)
print("utf8", utf8.len("héllo"), utf8.char(0x263A))
-- files: a temporary file written, read back, renamed and removed
local name = os.tmpname()
local f = assert(io.open(name, "w"))
for i = 1, 1000 do f:write(i, "\n") end
f:close()
local sum = 0
for line in io.lines(name) do sum = sum + tonumber(line) end
print("file sum", sum)
assert(os.rename(name, name .. ".done"))
print("renamed", io.open(name) == nil, io.open(name .. ".done") ~= nil)
assert(os.remove(name .. ".done"))
print("env", os.getenv("COMPAT_GREETING"))
print("time", os.time() > 1600000000, os.clock() >= 0)
print("date", os.date("!%Y-%m-%d", 0))
-- a little garbage to collect
local big = {}
for i = 1, 200000 do big[i] = tostring(i) end
big = nil
collectgarbage()
print("gc", collectgarbage("count") < 4096)
print("arg", #arg, arg[1])
os.exit(3)
