-- One row per trip we trust, with readable names.
-- Cleans the warts every TLC file has, so the tests below only fire on *new* kinds of bad data:
--   * pickups outside the file's month belong to another partition: drop them here;
--   * trips whose dropoff is not after their pickup (meter clock errors): drop;
--   * voided trips with negative amounts: drop;
--   * a null passenger_count stays null (unknown is not zero).
with source as (
    select * from {{ source('raw', 'raw_trips') }}
)

select
    md5(concat_ws('|',
        cast(VendorID as varchar),
        cast(lpep_pickup_datetime as varchar),
        cast(lpep_dropoff_datetime as varchar),
        cast(PULocationID as varchar),
        cast(DOLocationID as varchar),
        cast(total_amount as varchar)
    ))                                      as trip_key,
    source_month,
    cast(VendorID as integer)               as vendor_id,
    lpep_pickup_datetime                    as pickup_at,
    lpep_dropoff_datetime                   as dropoff_at,
    cast(PULocationID as integer)           as pickup_location_id,
    cast(DOLocationID as integer)           as dropoff_location_id,
    cast(passenger_count as integer)        as passenger_count,
    trip_distance,
    fare_amount,
    tip_amount,
    tolls_amount,
    total_amount,
    cast(payment_type as integer)           as payment_type,
    cast(trip_type as integer)              as trip_type
from source
where lpep_pickup_datetime >= source_month
  and lpep_pickup_datetime < source_month + interval '1 month'
  and lpep_dropoff_datetime > lpep_pickup_datetime
  and fare_amount >= 0
  and total_amount >= 0
