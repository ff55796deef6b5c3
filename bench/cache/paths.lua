-- 100 URLs under the prefix given as the script's argument (/hit/ or /miss/), in turn.
local prefix = "/hit/"
local i = 0
function init(args)
  if args[1] then prefix = args[1] end
end
function request()
  i = (i + 1) % 100
  return wrk.format("GET", prefix .. i)
end
