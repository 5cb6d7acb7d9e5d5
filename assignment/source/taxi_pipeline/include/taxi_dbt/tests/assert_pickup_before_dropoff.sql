-- A trip cannot end before it starts. stg_trips filters these out; this test guards that rule.
select trip_key, pickup_at, dropoff_at
from {{ ref('fct_trips') }}
where dropoff_at <= pickup_at
