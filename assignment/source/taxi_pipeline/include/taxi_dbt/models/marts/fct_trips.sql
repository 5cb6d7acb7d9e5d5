-- The table analysts query: one row per clean trip, with the measures they ask for most.
select
    trip_key,
    source_month                                                        as trip_month,
    pickup_at,
    dropoff_at,
    round(cast(extract(epoch from (dropoff_at - pickup_at)) / 60.0 as numeric), 2)
                                                                        as duration_minutes,
    pickup_location_id,
    dropoff_location_id,
    passenger_count,
    trip_distance,
    fare_amount,
    tip_amount,
    total_amount,
    payment_type
from {{ ref('stg_trips') }}
