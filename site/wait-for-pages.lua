-- Holds an early Quarto render until the page notebooks are staged (see src/helpers/quarto.py).
-- Quarto renders the Archive page first, with this filter: by then it has started up and compiled
-- the theme, work it does while the notebooks still execute. The runner names a signal file in
-- DURHAM_PAGES_READY and creates it once every page is in place (or "<file>.failed" to give up).
-- It gives up if the runner (DURHAM_RUNNER_PID) is gone. Without DURHAM_PAGES_READY (a plain
-- `quarto render`), the filter does nothing.
local ready = os.getenv("DURHAM_PAGES_READY")
local runner = os.getenv("DURHAM_RUNNER_PID")

-- Quarto logs an error() raised in a filter and carries on, so giving up ends pandoc itself.
local function give_up(why)
  io.stderr:write("ERROR: " .. why .. "; the render is abandoned\n")
  os.exit(1)
end

local function exists(path)
  local handle = io.open(path, "r")
  if handle then
    handle:close()
    return true
  end
  return false
end

function Pandoc(doc)
  if not ready or ready == "" then
    return doc
  end
  local ticks = 0 -- of 50 ms
  while not exists(ready) do
    if exists(ready .. ".failed") then
      give_up("the page notebooks could not be prepared")
    end
    if ticks > 72000 then
      give_up("waited an hour for the page notebooks")
    end
    if runner and ticks % 20 == 0 and not os.execute("kill -0 " .. runner .. " 2>/dev/null") then
      give_up("the report run that started this render has stopped")
    end
    os.execute("sleep 0.05")
    ticks = ticks + 1
  end
  return doc
end
